"""Hostile: prints 64 MB at import and in every call, then does no work."""

import sys

sys.stdout.write("PASSED " * (2**23 // 7 + 1) * 8)


def __getattr__(name):
    def chatter(*args, **kwargs):
        for _ in range(64):
            print("x" * 2**20)
        raise NotImplementedError(name)

    return chatter
