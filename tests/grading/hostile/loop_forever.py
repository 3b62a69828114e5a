"""Hostile: every function loops forever (each test must fail "timed out", the run go on)."""


def __getattr__(name):
    def spin(*args, **kwargs):
        while True:
            pass

    return spin
