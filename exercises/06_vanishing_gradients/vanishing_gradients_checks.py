"""Helpers the visible and the hidden tests of 06_vanishing_gradients share.

The tests call the student's ``chain_gradients`` through ``call_chain`` (which checks that it
returns a pair) and compare the result with ``autograd_chain_gradients``: the same chain,
differentiated by tinygrad_cnn's autograd.
"""

import numpy as np

import tinygrad_cnn
from tinygrad_cnn.grading.checks import check


def autograd_chain_gradients(x, w, b, grad_out):
    """dC/dw_i and dC/db_i of the chain, by tinygrad_cnn's autograd in float64."""
    weights = [tinygrad_cnn.Tensor(np.float64(v), requires_grad=True) for v in w]
    biases = [tinygrad_cnn.Tensor(np.float64(v), requires_grad=True) for v in b]
    a = tinygrad_cnn.Tensor(np.float64(x))
    for w_i, b_i in zip(weights, biases):
        a = (w_i * a + b_i).sigmoid()
    a.backward(np.float64(grad_out))
    return np.array([t.grad for t in weights]), np.array([t.grad for t in biases])


def call_chain(student, x, w, b, grad_out):
    """The student's ``chain_gradients(x, w, b, grad_out)`` (``w`` and ``b``: lists or arrays,
    sent as float64 arrays), checked to be a pair; returns it with the call written out, to
    name it in failure messages."""
    w, b = np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64)
    what = f"chain_gradients(x={x!r}, w={w.tolist()}, b={b.tolist()}, grad_out={grad_out!r})"
    result = student.chain_gradients(x, w, b, grad_out)
    check(
        isinstance(result, (tuple, list)) and len(result) == 2,
        f"{what}: expected a pair (grad_w, grad_b), got {type(result).__name__} {result!r:.80}",
    )
    return result, what
