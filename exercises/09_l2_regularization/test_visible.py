"""Visible tests for l2_regularization: worked examples and the properties the statement states.

Expected values come from numpy by hand or from the engine (tinygrad_cnn autograd and optim,
run by the helpers in l2_regularization_checks.py).
"""

import numpy as np
import pytest
from l2_regularization_checks import (
    assert_matches_engine_sgd,
    check_adam_and_adamw,
    engine_sgd_run,
)

from tinygrad_cnn.grading.checks import as_array, assert_close, check

# The least-squares problem of the statement (README.md, "A problem to try things on").
X = np.array([[1.0, 10.0], [2.0, -5.0], [0.5, 8.0], [-1.0, 3.0]])
Y = np.array([1.0, 2.0, 0.0, -1.0])
W0 = np.array([1.0, -1.0])


@pytest.mark.points(0.5)
def test_penalty_of_the_worked_example(student):
    weights = [np.array([1.0, 2.0]), np.array([[3.0]])]
    got = student.l2_penalty(weights, 0.1)
    assert_close(got, 1.4, "l2_penalty([[1, 2], [[3]]], lam=0.1) = 0.1 * (1 + 4 + 9)", rtol=1e-12)


@pytest.mark.points(0.5)
def test_penalty_gradient_is_two_lambda_w(student):
    weights = [np.array([1.0, -2.0]), np.array([[3.0, 0.5]])]
    lam = 0.1
    got = student.l2_penalty_grad(weights, lam)
    check(
        isinstance(got, (list, tuple)) and len(got) == 2,
        f"l2_penalty_grad(2 arrays, lam=0.1) should return a list of 2 arrays, got {got!r:.100}",
    )
    for i, (w, g) in enumerate(zip(weights, got)):
        g = as_array(g, f"l2_penalty_grad(...)[{i}]")
        if g.shape == w.shape and np.allclose(g, lam * w, rtol=1e-12, atol=0):
            check(
                False,
                f"l2_penalty_grad(...)[{i}] is half the expected gradient: got "
                f"lam * w = {g.tolist()}; the derivative of lam * w**2 is 2 * lam * w",
            )
        assert_close(
            g, 2 * lam * w, f"l2_penalty_grad(...)[{i}] (should be 2 * lam * w)", rtol=1e-12
        )


@pytest.mark.points(1)
def test_penalty_and_weight_decay_agree_when_decay_is_twice_lambda(student):
    lr, lam, steps = 0.005, 0.25, 20
    penalty_run, decay_run = student.sgd_penalty_vs_weight_decay(
        X, Y, W0, lr=lr, lam=lam, weight_decay=2 * lam, steps=steps
    )
    what = "sgd_penalty_vs_weight_decay(lam=0.25, weight_decay=0.5, steps=20)"
    penalty_run = as_array(penalty_run, what + " penalty run")
    decay_run = as_array(decay_run, what + " decay run")
    check(
        penalty_run.shape == (steps, 2) and decay_run.shape == (steps, 2),
        f"{what}: both runs should have shape (20, 2), got {penalty_run.shape} and "
        f"{decay_run.shape}",
    )
    differs = ~np.isclose(penalty_run, decay_run, rtol=1e-10, atol=1e-12)
    if differs.any():
        step = int(np.argwhere(differs)[0][0]) + 1
        hint = ""
        half = engine_sgd_run(X, Y, W0, lr, steps, weight_decay=lam)
        if np.allclose(penalty_run, half, rtol=1e-9, atol=1e-12):
            hint = (
                "; your penalty run equals SGD with weight_decay = lambda, so the penalty's "
                "gradient is lambda * w, half of 2 * lambda * w"
            )
        check(
            False,
            f"{what}: with weight_decay = 2 * lambda the two trajectories should be "
            f"the same, they differ from step {step} on (penalty run "
            f"{penalty_run[step - 1].tolist()}, decay run {decay_run[step - 1].tolist()})" + hint,
        )
    what += " decay run vs optim.SGD(weight_decay=0.5)"
    assert_matches_engine_sgd(decay_run, what, X, Y, W0, lr, steps, weight_decay=2 * lam)


@pytest.mark.points(1)
def test_adam_and_adamw_match_the_engine_on_the_stated_problem(student):
    lr, weight_decay, steps = 0.05, 0.5, 100
    w_adam, w_adamw, gap = student.adam_l2_vs_adamw(
        X, Y, W0, lr=lr, weight_decay=weight_decay, steps=steps
    )
    what = "adam_l2_vs_adamw(lr=0.05, weight_decay=0.5, steps=100)"
    settings = (lr, weight_decay, steps, (0.9, 0.999), 1e-8)  # the defaults of betas and eps
    check_adam_and_adamw(w_adam, w_adamw, gap, what, (X, Y, W0), settings, min_gap=0.1)


@pytest.mark.points(1)
def test_weight_norm_falls_as_lambda_rises(student):
    lams = [0.0, 0.001, 0.01, 0.1, 1.0]
    norms = as_array(
        student.weight_norms(lams, seed=0, steps=100, lr=0.5),
        "weight_norms(lams=[0, 0.001, 0.01, 0.1, 1], seed=0)",
    )
    check(
        norms.shape == (5,), f"weight_norms(5 lambdas) should return shape (5,), got {norms.shape}"
    )
    check(
        np.all(np.isfinite(norms)) and np.all(norms > 0),
        f"weight_norms: every norm should be a positive finite number, got {norms.tolist()}",
    )
    check(
        np.all(np.diff(norms) < 0),
        f"weight_norms(lams={lams}): a larger lambda should give a strictly smaller final "
        f"norm, got {norms.tolist()}",
    )
