"""Hostile: the process leaves with a success status in the middle of a call."""

import os


def __getattr__(name):
    def leave(*args, **kwargs):
        os._exit(0)

    return leave
