"""Helpers the visible and the hidden tests of 02_conv_forward share.

``check_conv`` calls the student's ``conv2d_loops`` and compares its output with the expected
one (the lecture's numbers, or the engine's ``F.conv2d``). When they differ it looks for the
classic mistakes first and names them: a kernel flipped by 180 degrees (a true convolution,
checked against ``F.conv2d`` with the flipped kernel), a missing bias, a missing padding, a
stride that was not applied.
"""

import numpy as np

import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor
from tinygrad_cnn.grading.checks import CheckFailed, as_array, assert_close

FLIPPED = (
    "that is a true convolution, with the kernel flipped by 180 degrees (the cross-correlation "
    "with w[:, :, ::-1, ::-1]); convolution layers (Keras, PyTorch, tinygrad_cnn) do not flip "
    "the kernel: multiply xp[n, c, i*stride + u, j*stride + v] by w[f, c, u, v] as given"
)


def engine(x, w, b=None, stride=1, padding=0):
    """F.conv2d on plain arrays: the cross-correlation the student must reproduce."""
    bias = None if b is None else Tensor(b)
    return F.conv2d(Tensor(x), Tensor(w), bias, stride=stride, padding=padding).numpy()


def describe(x, w, b, stride, padding):
    """The call, with shapes: conv2d_loops(x (1, 3, 5, 5), w (1, 3, 3, 3), b, padding=1)."""
    words = [f"x {x.shape}", f"w {w.shape}", "b" if b is not None else "b=None"]
    words += [f"stride={stride}"] * (stride != 1) + [f"padding={padding}"] * (padding != 0)
    return f"conv2d_loops({', '.join(words)})"


def side(n, k, stride, padding):
    return (n + 2 * padding - k) // stride + 1


def check_conv(student, x, w, b=None, stride=1, padding=0, expected=None, what=None):
    """The student's conv2d_loops(x, w, b, stride, padding) equals ``expected`` (by default
    the engine's F.conv2d); the failure names a flipped kernel, a missing bias, padding or
    stride when the output matches one of them."""
    what = what or describe(x, w, b, stride, padding)
    if expected is None:
        expected = engine(x, w, b, stride, padding)
    got = as_array(student.conv2d_loops(x, w, b, stride=stride, padding=padding), what)
    expected = np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        n, c_out = x.shape[0], w.shape[0]
        unpadded = (
            n,
            c_out,
            side(x.shape[2], w.shape[2], stride, 0),
            side(x.shape[3], w.shape[3], stride, 0),
        )
        no_stride = (
            n,
            c_out,
            side(x.shape[2], w.shape[2], 1, padding),
            side(x.shape[3], w.shape[3], 1, padding),
        )
        if padding and got.shape == unpadded:
            hint = f"the size without padding: first add {padding} zero(s) on each side of H and W"
        elif stride != 1 and got.shape == no_stride:
            hint = f"the size for stride 1: the window moves {stride} pixels at a time"
        else:
            hint = "the shape is (N, C_out, H_out, W_out), H_out = (H + 2p - kH) // stride + 1"
        raise CheckFailed(f"{what}: expected shape {expected.shape}, got {got.shape}: {hint}")
    if np.allclose(got, expected, rtol=1e-7, atol=1e-9):
        return
    flipped = engine(x, np.ascontiguousarray(w[:, :, ::-1, ::-1]), b, stride, padding)
    if np.allclose(got, flipped, rtol=1e-7, atol=1e-9):
        raise CheckFailed(
            f"{what}: {FLIPPED}\n  expected {_rows(expected)}\n  got      {_rows(got)}"
        )
    if b is not None and np.any(b) and np.allclose(got, expected - b.reshape(1, -1, 1, 1)):
        raise CheckFailed(
            f"{what}: the output lacks the bias; add b[f] to every output of filter f"
        )
    assert_close(got, expected, what)


def _rows(array):
    return " ".join(np.array2string(array, precision=4, threshold=30, separator=", ").split())
