"""Hostile: allocates memory without bound (touching every page)."""


def __getattr__(name):
    def hoard(*args, **kwargs):
        blocks = []
        while True:
            blocks.append(bytearray(2**27))

    return hoard
