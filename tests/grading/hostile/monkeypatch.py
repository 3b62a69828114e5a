"""Hostile: patches the tools a test would use to judge it, then returns nonsense."""

import builtins

import hypothesis
import numpy
import numpy.testing
import pytest

import tinygrad_cnn.grading.checks as checks


def _always_fine(*args, **kwargs):
    return True


numpy.testing.assert_allclose = _always_fine
numpy.testing.assert_array_equal = _always_fine
numpy.allclose = _always_fine
numpy.isclose = _always_fine
pytest.fail = _always_fine
pytest.approx = lambda *a, **k: _Anything()
hypothesis.given = lambda *a, **k: lambda f: _always_fine
checks.assert_close = _always_fine
checks.check = _always_fine
builtins.AssertionError = type("AssertionError", (Exception,), {})


class _Anything:
    def __eq__(self, other):
        return True


def __getattr__(name):
    def nonsense(*args, **kwargs):
        return None

    return nonsense
