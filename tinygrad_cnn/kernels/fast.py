"""Fast kernels: the same functions as ``reference.py``, compiled by Numba.

Convolution uses im2col: every receptive field (the C * KH * KW input values one output
position sees) is copied into a column, so the convolution of one image becomes one matrix
product, weight (F, C*KH*KW) @ columns (C*KH*KW, OH*OW), which BLAS computes far faster than
any loop. Its gradients are matrix products too, plus col2im, which adds each column back to
the input positions it was copied from. Pooling loops directly over windows.

Every kernel loops over the images of the batch one after the other; ``runtime.over_batch``
hands each thread a slice of the batch in a training loop (``nogil=True`` lets the threads run
at once), so the kernels stay plain loops and compile fast: a parallel (``prange``) kernel
takes Numba twice as long to compile, which a first run paid for every kernel it used.

Numba notes: kernels compile on their first call for each dtype (float32, float64) and are
cached on disk (``cache=True``), so a second process loads them instead of recompiling.
``NUMBA_DISABLE_JIT=1`` runs these very functions as plain Python, for stepping through them
in a debugger.

Each compiled kernel (``_walk_columns``, ...) writes into arrays that a plain Python function
allocated with numpy (whose allocator asks Linux for huge pages for large arrays); the kernels
themselves allocate nothing. How threads and memory are set up for a training loop, and why,
is in ``runtime.py``.
"""

import numpy as np
from numba import njit

from tinygrad_cnn.kernels import reference, runtime
from tinygrad_cnn.kernels.reference import output_size


def im2col(x, kh, kw, stride, padding, dilation, oh_size, ow_size):
    """columns[n, (c * KH + i) * KW + j, oh * OW + ow] = x[n, c, h, w] (0 in the padding)."""
    columns = _new_columns(x, kh, kw, padding, oh_size, ow_size)
    runtime.over_batch(
        _walk_columns, (x, columns), kh, kw, stride, padding, dilation, oh_size, ow_size, False
    )
    return columns


def col2im(columns, x_shape, kh, kw, stride, padding, dilation, oh_size, ow_size):
    """The adjoint of im2col: add every column entry back to the input position it came from."""
    grad_x = np.zeros(x_shape, dtype=columns.dtype)
    runtime.over_batch(
        _walk_columns, (grad_x, columns), kh, kw, stride, padding, dilation, oh_size, ow_size, True
    )
    return grad_x


def _new_columns(x, kh, kw, padding, oh_size, ow_size):
    shape = (x.shape[0], x.shape[1] * kh * kw, oh_size * ow_size)
    # without padding every entry gets written: no need to zero them first
    return np.empty(shape, x.dtype) if padding == (0, 0) else np.zeros(shape, x.dtype)


@njit(cache=True, nogil=True)
def _walk_columns(x, columns, kh, kw, stride, padding, dilation, oh_size, ow_size, add):
    """The one loop nest of im2col (``add`` False: copy x into the columns) and of col2im
    (``add`` True: add the columns into the zeroed x), visiting each (input position, column
    entry) pair of the windows once and skipping the padding. The reference has no twin of
    it: it convolves without columns. Threads take whole images, so col2im's additions never
    race.

    Two things make the innermost loop fast. The range of ``ow`` whose input column
    w = ow * s + shift lies inside the image is worked out once per tap, so the loop has no
    test in it; and its indices are cast to unsigned (``np.uintp``): Numba then knows they
    are not negative, skips the wrap-around that negative indices get in Python, and the
    compiler turns the loop into vector instructions (2x faster im2col here)."""
    n_size, c_size, h_size, w_size = x.shape
    for n in range(n_size):
        for c in range(c_size):
            for i in range(kh):
                for j in range(kw):
                    row = (c * kh + i) * kw + j
                    shift = j * dilation[1] - padding[1]  # w = ow * stride + shift
                    ow_lo = max(0, (stride[1] - 1 - shift) // stride[1])  # first w >= 0
                    ow_hi = min(ow_size, (w_size - 1 - shift) // stride[1] + 1)  # w < W
                    for oh in range(oh_size):
                        h = oh * stride[0] + i * dilation[0] - padding[0]
                        if h < 0 or h >= h_size:
                            continue
                        start = oh * ow_size
                        for ow in range(ow_lo, ow_hi):
                            w, at = np.uintp(ow * stride[1] + shift), np.uintp(start + ow)
                            if add:
                                x[n, c, h, w] += columns[n, row, at]
                            else:
                                columns[n, row, at] = x[n, c, h, w]


def conv2d_forward(x, weight, stride, padding, dilation, keep=True):
    """out[n] = weight (F, C*KH*KW) @ columns[n] (C*KH*KW, OH*OW): im2col, then one matrix
    product per image. Each thread does both for its slice of the batch, while its columns
    are still in its cache. Returns (out, cache); the cache keeps the columns (and x's
    shape) for the backward. Without ``keep`` (no backward will follow: evaluation) the
    columns of a few images at a time go through one small reused buffer and are dropped."""
    f_size, _, kh, kw = weight.shape
    oh_size = output_size(x.shape[2], kh, stride[0], padding[0], dilation[0])
    ow_size = output_size(x.shape[3], kw, stride[1], padding[1], dilation[1])
    out = np.empty((x.shape[0], f_size, oh_size * ow_size), dtype=x.dtype)
    geometry = (kh, kw, stride, padding, dilation, oh_size, ow_size)
    weight_rows = weight.reshape(f_size, -1)
    if keep:
        columns = _new_columns(x, kh, kw, padding, oh_size, ow_size)
        runtime.over_batch(_convolve_images, (x, columns, out), weight_rows, geometry)
        cache = (columns, x.shape)
    else:
        entries = x.shape[0] * weight_rows.shape[1] * oh_size * ow_size  # columns, in chunks
        runtime.over_batch(
            _convolve_images_in_chunks, (x, out), weight_rows, geometry, work=entries
        )
        cache = None
    return out.reshape(x.shape[0], f_size, oh_size, ow_size), cache


def _convolve_images(x, columns, out, weight_rows, geometry):
    _walk_columns(x, columns, *geometry, False)
    np.matmul(weight_rows, columns, out=out)


def _convolve_images_in_chunks(x, out, weight_rows, geometry, chunk=16):
    kh, kw, _, padding, _, oh_size, ow_size = geometry
    columns = _new_columns(x[:chunk], kh, kw, padding, oh_size, ow_size)  # zeros stay zeros
    for start in range(0, x.shape[0], chunk):
        stop = min(start + chunk, x.shape[0])
        _convolve_images(
            x[start:stop], columns[: stop - start], out[start:stop], weight_rows, geometry
        )


def conv2d_backward(
    cache, weight, grad_out, stride, padding, dilation, need_x=True, need_weight=True
):
    """From out[n] = W @ columns[n] (the matmul rule, see ops/matmul.py):
    dL/dW = sum_n g[n] @ columns[n]^T and dL/dcolumns[n] = W^T @ g[n], then col2im. Each
    thread does all three for its slice of the batch; the per-image dL/dW are summed here."""
    columns, x_shape = cache
    n_size, f_size, oh_size, ow_size = grad_out.shape
    _, _, kh, kw = weight.shape
    g = grad_out.reshape(n_size, f_size, oh_size * ow_size)
    per_image = np.empty((n_size, f_size, columns.shape[1]), g.dtype) if need_weight else None
    grad_x = np.zeros(x_shape, dtype=g.dtype) if need_x else None
    geometry = (kh, kw, stride, padding, dilation, oh_size, ow_size)
    weight_columns = weight.reshape(f_size, -1).T
    runtime.over_batch(
        _unconvolve_images, (g, columns, per_image, grad_x), weight_columns, geometry
    )
    grad_weight = per_image.sum(axis=0).reshape(weight.shape) if need_weight else None
    return grad_x, grad_weight


def _unconvolve_images(g, columns, per_image, grad_x, weight_columns, geometry):
    """One thread's share of the backward: the per-image dL/dW (when ``per_image`` is given)
    and dL/dx through col2im (when ``grad_x`` is)."""
    if per_image is not None:
        np.matmul(g, columns.transpose(0, 2, 1), out=per_image)
    if grad_x is not None:
        grad_columns = np.matmul(weight_columns, g)
        _walk_columns(grad_x, grad_columns, *geometry, True)


@njit(cache=True, nogil=True)
def _max_pool2d_forward(x, out, argmax, kernel, stride, padding):
    n_size, c_size, h_size, w_size = x.shape
    oh_size, ow_size = out.shape[2:]
    for plane in range(n_size * c_size):
        n, c = plane // c_size, plane % c_size
        for oh in range(oh_size):
            h_start = oh * stride[0] - padding[0]
            h_lo, h_hi = max(h_start, 0), min(h_start + kernel[0], h_size)
            for ow in range(ow_size):
                w_start = ow * stride[1] - padding[1]
                w_lo, w_hi = max(w_start, 0), min(w_start + kernel[1], w_size)
                best, best_at = x[n, c, h_lo, w_lo], h_lo * w_size + w_lo
                for h in range(h_lo, h_hi):
                    for w in range(w_lo, w_hi):
                        value = x[n, c, h, w]
                        if value > best or value != value:  # value != value: a NaN wins
                            best, best_at = value, h * w_size + w
                out[n, c, oh, ow] = best
                argmax[n, c, oh, ow] = best_at


@njit(cache=True, nogil=True)
def _max_pool2d_forward_2x2(x, out, argmax):
    """The same for the usual 2x2 windows with stride 2 and no padding, written out so that
    the compiler can keep everything in registers: 2.5x faster than the general loop."""
    w_size = x.shape[3]
    for plane in range(x.shape[0] * x.shape[1]):
        n, c = plane // x.shape[1], plane % x.shape[1]
        for oh in range(out.shape[2]):
            h = 2 * oh
            for ow in range(out.shape[3]):
                w = 2 * ow
                best, best_at = x[n, c, h, w], h * w_size + w
                for value, at in (
                    (x[n, c, h, w + 1], h * w_size + w + 1),
                    (x[n, c, h + 1, w], (h + 1) * w_size + w),
                    (x[n, c, h + 1, w + 1], (h + 1) * w_size + w + 1),
                ):
                    if value > best or value != value:
                        best, best_at = value, at
                out[n, c, oh, ow] = best
                argmax[n, c, oh, ow] = best_at


def max_pool2d_forward(x, kernel, stride, padding):
    oh_size = output_size(x.shape[2], kernel[0], stride[0], padding[0])
    ow_size = output_size(x.shape[3], kernel[1], stride[1], padding[1])
    out = np.empty(x.shape[:2] + (oh_size, ow_size), dtype=x.dtype)
    argmax = np.empty(out.shape, dtype=np.int64)
    if kernel == (2, 2) and stride == (2, 2) and padding == (0, 0):
        runtime.over_batch(_max_pool2d_forward_2x2, (x, out, argmax))
    else:
        runtime.over_batch(_max_pool2d_forward, (x, out, argmax), kernel, stride, padding)
    return out, argmax


def max_pool2d_backward(grad_out, argmax, x_shape):
    grad_x = np.zeros(x_shape, dtype=grad_out.dtype)
    runtime.over_batch(_max_pool2d_backward, (grad_out, argmax, grad_x))
    return grad_x


@njit(cache=True, nogil=True)
def _max_pool2d_backward(grad_out, argmax, grad_x):
    n_size, c_size, h_size, w_size = grad_x.shape
    for plane in range(n_size * c_size):
        n, c = plane // c_size, plane % c_size
        for oh in range(grad_out.shape[2]):
            for ow in range(grad_out.shape[3]):
                position = argmax[n, c, oh, ow]
                grad_x[n, c, position // w_size, position % w_size] += grad_out[n, c, oh, ow]


_window_divisor = njit(cache=True)(reference.window_divisor)  # the very same function


@njit(cache=True, nogil=True)
def _avg_pool2d_forward(x, out, kernel, stride, padding, count_include_pad):
    n_size, c_size, h_size, w_size = x.shape
    oh_size, ow_size = out.shape[2:]
    for plane in range(n_size * c_size):
        n, c = plane // c_size, plane % c_size
        for oh in range(oh_size):
            for ow in range(ow_size):
                total = 0.0
                for i in range(kernel[0]):
                    h = oh * stride[0] + i - padding[0]
                    if h < 0 or h >= h_size:
                        continue
                    for j in range(kernel[1]):
                        w = ow * stride[1] + j - padding[1]
                        if 0 <= w < w_size:
                            total += x[n, c, h, w]
                divisor = _window_divisor(
                    oh, ow, kernel, stride, padding, h_size, w_size, count_include_pad
                )
                out[n, c, oh, ow] = total / divisor


def avg_pool2d_forward(x, kernel, stride, padding, count_include_pad):
    oh_size = output_size(x.shape[2], kernel[0], stride[0], padding[0])
    ow_size = output_size(x.shape[3], kernel[1], stride[1], padding[1])
    out = np.empty(x.shape[:2] + (oh_size, ow_size), dtype=x.dtype)
    runtime.over_batch(_avg_pool2d_forward, (x, out), kernel, stride, padding, count_include_pad)
    return out


def avg_pool2d_backward(grad_out, x_shape, kernel, stride, padding, count_include_pad):
    grad_x = np.zeros(x_shape, dtype=grad_out.dtype)
    runtime.over_batch(
        _avg_pool2d_backward, (grad_out, grad_x), kernel, stride, padding, count_include_pad
    )
    return grad_x


@njit(cache=True, nogil=True)
def _avg_pool2d_backward(grad_out, grad_x, kernel, stride, padding, count_include_pad):
    n_size, c_size, h_size, w_size = grad_x.shape
    for plane in range(n_size * c_size):
        n, c = plane // c_size, plane % c_size
        for oh in range(grad_out.shape[2]):
            for ow in range(grad_out.shape[3]):
                divisor = _window_divisor(
                    oh, ow, kernel, stride, padding, h_size, w_size, count_include_pad
                )
                share = grad_out[n, c, oh, ow] / divisor
                for i in range(kernel[0]):
                    h = oh * stride[0] + i - padding[0]
                    if h < 0 or h >= h_size:
                        continue
                    for j in range(kernel[1]):
                        w = ow * stride[1] + j - padding[1]
                        if 0 <= w < w_size:
                            grad_x[n, c, h, w] += share
