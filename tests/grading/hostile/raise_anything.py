"""Hostile: functions raise what a test runner might not catch."""

import itertools


class NotAnException(BaseException):
    pass


_kinds = itertools.cycle([SystemExit(0), KeyboardInterrupt(), GeneratorExit(), NotAnException()])


def __getattr__(name):
    def explode(*args, **kwargs):
        raise next(_kinds)

    return explode
