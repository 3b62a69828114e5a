"""Helpers the visible and the hidden tests of 04_max_pool share.

``forward`` and ``backward`` call the student's functions and check the form of what comes
back (shapes, an integer argmax). ``engine_forward`` and ``engine_gradient`` compute the
expected values with tinygrad_cnn (its reference max-pooling kernel and its autograd).
``check_argmax`` and ``check_gradient`` compare, and when the difference looks like one of
the classic mistakes (a later maximum picked on a tie, a gradient assigned with = where
overlapping windows share a maximum), their message says so.
"""

import numpy as np

from tinygrad_cnn import Tensor
from tinygrad_cnn.grading.checks import CheckFailed, as_array, assert_close, assert_equal, check
from tinygrad_cnn.kernels import reference
from tinygrad_cnn.ops.pool import MaxPool2d

# The max pooling example of lecture 004 (2x2 windows, stride 2), as a (1, 1, 4, 4) input.
LECTURE_X = np.array(
    [[1.0, 3.0, 2.0, 1.0], [2.0, 9.0, 1.0, 1.0], [1.0, 3.0, 2.0, 3.0], [5.0, 6.0, 1.0, 2.0]]
).reshape(1, 1, 4, 4)
LECTURE_OUT = np.array([[9.0, 2.0], [6.0, 3.0]]).reshape(1, 1, 2, 2)
LECTURE_ARGMAX = np.array([[5, 2], [13, 11]]).reshape(1, 1, 2, 2)  # h * 4 + w of 9, 2, 6, 3

ADD_NOT_ASSIGN = (
    "add with += (or np.add.at): grad_x[...] = g keeps only the last window's gradient, and "
    "so does a fancy-indexed grad_x[positions] += g when positions repeat"
)


def describe(x_shape, kernel_size, stride):
    stride_text = "" if stride is None else f", stride={stride}"
    return f"max_pool_forward(x of shape {tuple(x_shape)}, kernel_size={kernel_size}{stride_text})"


def forward(student, x, kernel_size, stride=None):
    """The student's (out, argmax), checked to be two arrays of the output's shape, argmax of
    integers. stride=None calls the function without a stride (its default)."""
    what = describe(x.shape, kernel_size, stride)
    if stride is None:
        result = student.max_pool_forward(x, kernel_size)
    else:
        result = student.max_pool_forward(x, kernel_size, stride=stride)
    check(
        isinstance(result, (tuple, list)) and len(result) == 2,
        f"{what} should return a pair (out, argmax), got {type(result).__name__}",
    )
    out, argmax = as_array(result[0], what + " out"), as_array(result[1], what + " argmax")
    step = kernel_size if stride is None else stride
    n, c, h, w = x.shape
    shape = (n, c, (h - kernel_size) // step + 1, (w - kernel_size) // step + 1)
    check(
        out.shape == shape,
        f"{what}: out has shape {out.shape}, expected {shape} (OH = (H - k) // stride + 1)",
    )
    check(argmax.shape == shape, f"{what}: argmax has shape {argmax.shape}, expected {shape}")
    check(
        argmax.dtype.kind in "iu",
        f"{what}: argmax should hold integers (positions h * W + w), got dtype {argmax.dtype}",
    )
    return out, argmax


def backward(student, grad_out, argmax, input_shape):
    """The student's grad_x, checked to be an array of shape input_shape."""
    what = f"max_pool_backward(grad_out of shape {grad_out.shape}, argmax, {tuple(input_shape)})"
    grad_x = as_array(student.max_pool_backward(grad_out, argmax, tuple(input_shape)), what)
    check(
        grad_x.shape == tuple(input_shape),
        f"{what}: grad_x has shape {grad_x.shape}, expected {tuple(input_shape)}",
    )
    return grad_x, what


def engine_forward(x, kernel_size, stride=None):
    """tinygrad_cnn's (out, argmax): its reference kernel, which picks the first maximum."""
    step = kernel_size if stride is None else stride
    return reference.max_pool2d_forward(
        np.ascontiguousarray(x, dtype=np.float64), (kernel_size,) * 2, (step,) * 2, (0, 0)
    )


def engine_gradient(x, kernel_size, stride, grad_out):
    """d(sum of out * grad_out) / dx by tinygrad_cnn's autograd through its max pooling (the
    op behind F.max_pool2d, here with the plain-numpy kernels: the Numba ones would take a
    second or two to load in the grader, for the same numbers)."""
    x = Tensor(np.array(x, dtype=np.float64), requires_grad=True)
    out = MaxPool2d.apply(x, kernel_size=kernel_size, stride=stride, kernels=reference)
    out.backward(np.asarray(grad_out, dtype=np.float64))
    return np.asarray(x.grad)


def check_argmax(argmax, expected, x, what):
    """argmax equals expected; a valid but later maximum of a tied window is named as such."""
    bad = np.argwhere(argmax != expected)
    if len(bad):
        n, c, i, j = (int(v) for v in bad[0])
        got, want = int(argmax[n, c, i, j]), int(expected[n, c, i, j])
        plane = x[n, c].reshape(-1)
        if 0 <= got < plane.size and plane[got] == plane[want]:
            w = x.shape[3]
            raise CheckFailed(
                f"{what}: argmax at index {(n, c, i, j)} is {got}, expected {want}. Both "
                f"x[{n}, {c}, {got // w}, {got % w}] and x[{n}, {c}, {want // w}, {want % w}] "
                f"hold the window's maximum {float(plane[want])!r}: on a tie the FIRST maximum in "
                f"row-major window order wins (compare with >, not >=)"
            )
    assert_equal(argmax, expected, what + ": argmax (positions h * W + w)")


def check_gradient(got, expected, grad_out, argmax, what):
    """grad_x equals expected; argmax is the correct one (the engine's). When the first
    differing element is the maximum of several windows and holds the gradient of only one
    of them, the message says that an assignment overwrote the others."""
    got = np.asarray(got, dtype=np.float64)
    bad = ~np.isclose(got, expected, rtol=1e-9, atol=1e-12)
    if bad.any():
        n, c, h, w = (int(v) for v in np.argwhere(bad)[0])
        picked_here = argmax[n, c] == h * got.shape[3] + w
        shares = grad_out[n, c][picked_here]
        value, wanted = float(got[n, c, h, w]), float(expected[n, c, h, w])
        if len(shares) >= 2 and np.isclose(shares, value, rtol=1e-9, atol=0).any():
            raise CheckFailed(
                f"{what}: at index {(n, c, h, w)} expected {wanted!r}, got {value!r}. This "
                f"element is the maximum of {len(shares)} overlapping windows, whose gradients "
                f"{np.round(shares, 6).tolist()} must all add up there, but it holds only one "
                f"of them: a later window's gradient overwrote an earlier one's; {ADD_NOT_ASSIGN}"
            )
        if len(shares) == 0 and value != 0:
            raise CheckFailed(
                f"{what}: at index {(n, c, h, w)} expected 0, got {value!r}: no "
                f"window picked this element, so no gradient reaches it (each output sends its "
                f"gradient to ONE element, the one argmax names)"
            )
    assert_close(got, expected, what, rtol=1e-9, atol=1e-12)


def check_sum_is_kept(grad_x, grad_out, what):
    """Every output hands its gradient to exactly one input: the totals must agree."""
    total_in, total_out = float(np.sum(grad_x)), float(np.sum(grad_out))
    check(
        np.isclose(total_in, total_out, rtol=1e-9, atol=1e-9),
        f"{what}: grad_x sums to {total_in!r} but grad_out sums to {total_out!r}; each output's "
        f"gradient must reach exactly one input element, in full. Gradient is lost when "
        f"overlapping windows share a maximum and a later window's gradient overwrote an "
        f"earlier one's: {ADD_NOT_ASSIGN}",
    )
