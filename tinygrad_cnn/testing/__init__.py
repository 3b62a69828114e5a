"""Helpers for tests and course exercises: hypothesis strategies, profiles, gradient checks.

Needs hypothesis (the ``dev`` extra); ``import tinygrad_cnn`` itself never imports this.
"""

from tinygrad_cnn.testing.checks import check_gradients  # noqa: F401
from tinygrad_cnn.testing.profiles import register_profiles  # noqa: F401
from tinygrad_cnn.testing.strategies import (  # noqa: F401
    broadcastable_shapes,
    float_arrays,
    make_non_contiguous,
    non_contiguous_arrays,
    shapes,
)
