"""Helpers the visible and the hidden tests of 09_l2_regularization share: the engine's
optimizers (tinygrad_cnn's autograd and ``optim``) run on a least-squares problem, giving the
weights the student's functions are compared with.

The problem is ``mse_loss(X @ w, y)`` from ``w = w0``; each test file passes its own
``X``, ``y`` and ``w0``.
"""

import numpy as np

import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor, optim
from tinygrad_cnn.grading.checks import assert_close, check


def engine_sgd_run(X, y, w0, lr, steps, lam=0.0, weight_decay=0.0):
    """Weights after each step of optim.SGD on mse_loss(X @ w, y) + lam * l2_penalty([w])."""
    w = Tensor(np.array(w0, dtype=np.float64), requires_grad=True)
    optimizer = optim.SGD([w], lr=lr, weight_decay=weight_decay)
    run = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.mse_loss(Tensor(X) @ w, Tensor(y)) + lam * F.l2_penalty([w])
        loss.backward()
        optimizer.step()
        run.append(w.data.copy())
    return np.array(run)


def engine_adam_final(optimizer_class, X, y, w0, lr, weight_decay, steps, betas, eps):
    """Final weights of optimizer_class (optim.Adam or optim.AdamW) on mse_loss(X @ w, y)."""
    w = Tensor(np.array(w0, dtype=np.float64), requires_grad=True)
    optimizer = optimizer_class([w], lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    for _ in range(steps):
        optimizer.zero_grad()
        F.mse_loss(Tensor(X) @ w, Tensor(y)).backward()
        optimizer.step()
    return w.data


def assert_matches_engine_sgd(run, what, X, y, w0, lr, steps, lam=0.0, weight_decay=0.0):
    """``run`` (a student's trajectory: the weights after each step) equals
    ``engine_sgd_run`` with the same arguments, within rtol 1e-10 and atol 1e-12."""
    expected = engine_sgd_run(X, y, w0, lr, steps, lam=lam, weight_decay=weight_decay)
    assert_close(run, expected, what, rtol=1e-10, atol=1e-12)


def check_adam_and_adamw(w_adam, w_adamw, gap, what, problem, settings, min_gap):
    """What ``adam_l2_vs_adamw`` returned, checked against the engine: ``w_adam`` against
    optim.Adam, ``w_adamw`` against optim.AdamW and ``gap`` against max |w_adam - w_adamw|
    of the two, all run on ``problem`` = (X, y, w0) with ``settings`` = (lr, weight_decay,
    steps, betas, eps). The engine's own gap must exceed ``min_gap``: the problem is chosen
    so that the two optimizers end up apart."""
    expected_adam = engine_adam_final(optim.Adam, *problem, *settings)
    expected_adamw = engine_adam_final(optim.AdamW, *problem, *settings)
    assert_close(w_adam, expected_adam, what + " w_adam vs optim.Adam", rtol=1e-9, atol=1e-12)
    assert_close(w_adamw, expected_adamw, what + " w_adamw vs optim.AdamW", rtol=1e-9, atol=1e-12)
    expected_gap = np.max(np.abs(expected_adam - expected_adamw))
    assert_close(gap, expected_gap, what + " gap = max |w_adam - w_adamw|", rtol=1e-9)
    check(
        expected_gap > min_gap, f"{what}: the engine's gap is {expected_gap}, expected > {min_gap}"
    )
