"""Gradient-check helpers shared by tests/ and exercises/."""

from tinygrad_cnn.gradcheck import gradcheck
from tinygrad_cnn.tensor import Tensor


def check_gradients(fn, *arrays, **gradcheck_kwargs):
    """gradcheck ``fn`` at float numpy ``arrays``, each wrapped (not copied, so a non-contiguous
    array stays non-contiguous) in a leaf tensor that requires grad."""
    inputs = [Tensor._make(a, True, None) for a in arrays]
    return gradcheck(fn, inputs, **gradcheck_kwargs)
