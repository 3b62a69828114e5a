"""Hostile: one function loops forever (exercise 06's chain_gradients); each test that calls
it must fail "timed out after N s" while the other tests, and exercises, are still graded."""


def chain_gradients(*args, **kwargs):
    while True:
        pass


def __getattr__(name):
    def not_done(*args, **kwargs):
        raise NotImplementedError(name)

    return not_done
