"""Helpers the visible and the hidden tests of 03_conv_backward share.

``gradients`` calls the student's ``conv2d_gradients`` and checks the form of what comes back
(three arrays with the shapes of x, weight and bias). The expected gradients come from the
engine, two independent ways: ``engine_gradients`` (autograd through ``F.conv2d``) and
``numeric_gradients`` (central differences of the engine's forward pass; the loss is linear
in each input, so the differences are exact up to rounding). ``configurations`` draws random
convolution problems for the hypothesis tests. ``check_input_gradient`` compares grad_x and,
when it fails, says whether the kernel was used without its 180-degree rotation.
"""

import numpy as np
from hypothesis import strategies as st

import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor, no_grad
from tinygrad_cnn.grading.checks import CheckFailed, as_array, assert_close, check
from tinygrad_cnn.testing import float_arrays

RTOL, ATOL = 1e-6, 1e-6  # float64 gradients against the engine or central differences
EPS = 1e-3  # step of the central differences (the loss is linear in each input)


def describe(x, weight, stride, padding):
    """The call as a student reads it: conv2d_gradients(x (1, 1, 3, 3), w (1, 1, 2, 2), ...)."""
    return (
        f"conv2d_gradients(x {tuple(x.shape)}, weight {tuple(weight.shape)}, bias, grad_out, "
        f"stride={stride}, padding={padding})"
    )


def gradients(student, x, weight, bias, grad_out, stride, padding):
    """The student's (grad_x, grad_weight, grad_bias), each checked to be an array with the
    shape of its input."""
    what = describe(x, weight, stride, padding)
    result = student.conv2d_gradients(x, weight, bias, grad_out, stride=stride, padding=padding)
    check(
        isinstance(result, (tuple, list)) and len(result) == 3,
        f"{what} should return (grad_x, grad_weight, grad_bias), got {type(result).__name__}",
    )
    arrays = []
    for name, got, like in zip(("grad_x", "grad_weight", "grad_bias"), result, (x, weight, bias)):
        check(got is not None, f"{what}: {name} is None; backward must return all three")
        got = as_array(got, f"{what} {name}")
        check(
            got.shape == like.shape,
            f"{what}: {name} has shape {got.shape}, expected {like.shape} (the shape of "
            f"{name[5:]})",
        )
        arrays.append(got)
    return tuple(arrays)


def engine_gradients(x, weight, bias, grad_out, stride, padding):
    """(grad_x, grad_weight, grad_bias) by the engine's autograd through F.conv2d."""
    leaves = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in (x, weight, bias)]
    out = F.conv2d(*leaves, stride=stride, padding=padding)
    out.backward(grad_out)
    return tuple(leaf.grad for leaf in leaves)


def numeric_gradients(x, weight, bias, grad_out, stride, padding):
    """(grad_x, grad_weight, grad_bias) of L = sum(grad_out * conv2d(x, weight, bias)) by
    central differences, one element at a time, with the engine's forward pass."""
    inputs = [np.array(a, dtype=np.float64) for a in (x, weight, bias)]

    def loss():
        with no_grad():
            out = F.conv2d(*map(Tensor, inputs), stride=stride, padding=padding)
        return float(np.sum(grad_out * out.numpy()))

    grads = []
    for array in inputs:
        grad = np.zeros(array.shape)
        for index in np.ndindex(array.shape):
            original = array[index]
            array[index] = original + EPS
            up = loss()
            array[index] = original - EPS
            down = loss()
            array[index] = original
            grad[index] = (up - down) / (2 * EPS)
        grads.append(grad)
    return tuple(grads)


def check_input_gradient(got, expected, x, weight, bias, grad_out, stride, padding, what):
    """``got`` (grad_x) equals ``expected``; when it does not but equals the input gradient of
    the kernel rotated by 180 degrees, the message says so."""
    try:
        assert_close(got, expected, what, rtol=RTOL, atol=ATOL)
    except CheckFailed as failure:
        rotated = weight[:, :, ::-1, ::-1]
        if not np.allclose(rotated, weight):
            mistaken, _, _ = engine_gradients(x, rotated, bias, grad_out, stride, padding)
            if np.allclose(got, mistaken, rtol=RTOL, atol=ATOL):
                raise CheckFailed(
                    f"{failure}\n  Your grad_x is the input gradient of the kernel rotated by "
                    f"180 degrees: that is what a full correlation of grad_out with the kernel "
                    f"NOT rotated by 180 degrees gives. Rotate it (weight[:, :, ::-1, ::-1]), or "
                    f"send g * weight[f, c, i, j] to the pixel that tap (i, j) read."
                ) from None
        raise


def check_all(got, expected, x, weight, bias, grad_out, stride, padding, against):
    """The three gradients ``got`` against ``expected``; ``against`` names where the expected
    values come from (e.g. "central differences")."""
    what = describe(x, weight, stride, padding)
    grad_x, grad_weight, grad_bias = got
    assert_close(grad_bias, expected[2], f"{what}: grad_bias vs {against}", rtol=RTOL, atol=ATOL)
    what_w = f"{what}: grad_weight vs {against}"
    assert_close(grad_weight, expected[1], what_w, rtol=RTOL, atol=ATOL)
    what_x = f"{what}: grad_x vs {against}"
    check_input_gradient(grad_x, expected[0], x, weight, bias, grad_out, stride, padding, what_x)


@st.composite
def configurations(draw, max_batch=2, max_channels=2, max_kernel=3, max_stride=1, max_padding=1):
    """(x, weight, bias, grad_out, stride, padding): a random convolution problem whose
    input is at most 6x6, with every size (batch, channels, filters, kernel sides, stride,
    padding) drawn independently, and random grad_out of the output's shape."""
    n, c, f = (draw(st.integers(1, top)) for top in (max_batch, max_channels, max_channels))
    kh, kw = draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel))
    stride, padding = draw(st.integers(1, max_stride)), draw(st.integers(0, max_padding))
    h = draw(st.integers(max(1, kh - 2 * padding), 6))
    w = draw(st.integers(max(1, kw - 2 * padding), 6))
    oh, ow = (h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1
    x = draw(float_arrays((n, c, h, w)))
    weight = draw(float_arrays((f, c, kh, kw)))
    bias = draw(float_arrays((f,)))
    grad_out = draw(float_arrays((n, f, oh, ow)))
    return x, weight, bias, grad_out, stride, padding
