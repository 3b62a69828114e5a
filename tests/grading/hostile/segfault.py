"""Hostile: a segmentation fault in the middle of a call."""

import ctypes


def __getattr__(name):
    def crash(*args, **kwargs):
        ctypes.string_at(0)

    return crash
