"""Matrix multiplication, the op behind fully connected layers (and convolution via im2col).

out = a @ b with numpy's rules: 2-D is the matrix product, 1-D vectors are treated as a row
(on the left) or a column (on the right) and that axis is dropped again, and any leading axes
are batch axes that broadcast against each other.
"""

import numpy as np

from tinygrad_cnn.autograd import Function, unbroadcast


def _check_shapes(a, b):
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: {a.shape} @ {b.shape}: both operands need at least 1 axis")
    inner_a, inner_b = a.shape[-1], b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: {a.shape} @ {b.shape}: inner sizes {inner_a} and {inner_b} differ"
        )
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(
            f"matmul: {a.shape} @ {b.shape}: batch shapes {a.shape[:-2]} and {b.shape[:-2]} "
            "do not broadcast"
        ) from None


class Matmul(Function):
    """out = a @ b, for matrices out_ij = sum_k a_ik b_kj.

    Derivation for matrices: d out_ij / d a_ik = b_kj, so
    dL/da_ik = sum_j g_ij b_kj = (g @ b^T)_ik, and likewise dL/db_kj = sum_i a_ik g_ij =
    (a^T @ g)_kj. Shapes check out: g is (n, m), b^T is (m, p) -> (n, p) like a.

    Vectors are first made matrices (a: (p,) -> (1, p), b: (p,) -> (p, 1)) so the same
    formulas hold, and the gradients are reshaped back. Batch axes that were broadcast are
    summed back by ``unbroadcast`` (a weight shared by every batch gets every batch's gradient).

    Worked example: a = [[1, 2]], b = [[3], [4]] (out = [[11]]), g = [[1]]:
    dL/da = g @ b^T = [[3, 4]], dL/db = a^T @ g = [[1], [2]].
    """

    @staticmethod
    def forward(ctx, a, b):
        _check_shapes(a, b)
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a2 = a[None, :] if a.ndim == 1 else a  # (p,) -> (1, p)
        b2 = b[:, None] if b.ndim == 1 else b  # (p,) -> (p, 1)
        if a.ndim == 1:
            g = np.expand_dims(g, -1 if b.ndim == 1 else -2)  # restore the dropped row axis
        if b.ndim == 1:
            g = np.expand_dims(g, -1)  # restore the dropped column axis
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = unbroadcast(g @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            grad_b = unbroadcast(np.swapaxes(a2, -1, -2) @ g, b2.shape).reshape(b.shape)
        return grad_a, grad_b
