"""Hidden tests for l2_regularization: random inputs against autograd, and the engine's optimizers
on problems the statement does not show.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from l2_regularization_checks import (
    assert_matches_engine_sgd,
    check_adam_and_adamw,
    engine_sgd_run,
)

import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor, optim
from tinygrad_cnn.grading.checks import as_array, assert_close, check
from tinygrad_cnn.testing import float_arrays, shapes

# A least-squares problem the statement does not show: 6 points, 3 features.
X = np.array(
    [
        [0.5, -1.0, 2.0],
        [1.5, 0.2, -0.4],
        [-0.3, 2.5, 1.0],
        [2.0, 1.0, 0.0],
        [-1.2, -0.7, 0.9],
        [0.1, 3.0, -2.0],
    ]
)
Y = np.array([1.0, -0.5, 2.0, 0.3, -1.5, 0.8])
W0 = np.array([0.7, -1.1, 0.4])

weight_lists = st.lists(float_arrays(shapes(max_dims=2, max_side=3)), min_size=1, max_size=3)
lambdas = st.floats(0.0, 5.0, allow_nan=False, allow_infinity=False)


def engine_weight_norms(lams, seed, steps, lr):
    """The recipe of weight_norms with the engine: SGD on the mean binary cross-entropy of
    sigmoid(X @ w) plus lam * l2_penalty([w]), from w = 0, on the statement's data."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((40, 3))
    y = (X @ np.array([2.0, -1.0, 0.5]) > 0).astype(np.float64)
    norms = []
    for lam in lams:
        w = Tensor(np.zeros(3), requires_grad=True)
        optimizer = optim.SGD([w], lr=lr)
        for _ in range(steps):
            optimizer.zero_grad()
            loss = F.binary_cross_entropy_with_logits(Tensor(X) @ w, Tensor(y))
            (loss + lam * F.l2_penalty([w])).backward()
            optimizer.step()
        norms.append(np.linalg.norm(w.data))
    return np.array(norms)


@pytest.mark.points(0.5)
@given(weights=weight_lists, lam=lambdas)
def test_penalty_matches_the_engine_on_random_lists(student, weights, lam):
    expected = lam * F.l2_penalty([Tensor(w) for w in weights]).item()
    got = student.l2_penalty(weights, lam)
    assert_close(
        got, expected, f"l2_penalty({len(weights)} arrays, lam={lam})", rtol=1e-10, atol=1e-12
    )


@pytest.mark.points(1)
@given(weights=weight_lists, lam=lambdas)
def test_penalty_gradient_matches_autograd_on_random_lists(student, weights, lam):
    tensors = [Tensor(w, requires_grad=True) for w in weights]
    (lam * F.l2_penalty(tensors)).backward()
    got = student.l2_penalty_grad(weights, lam)
    what = f"l2_penalty_grad({len(weights)} arrays, lam={lam})"
    check(
        isinstance(got, (list, tuple)) and len(got) == len(weights),
        f"{what} should return a list of {len(weights)} arrays, got {got!r:.100}",
    )
    for i, (w, g, t) in enumerate(zip(weights, got, tensors)):
        g = as_array(g, f"{what}[{i}]")
        halved = g.shape == w.shape and np.allclose(g, lam * w, rtol=1e-10, atol=0)
        if lam > 0 and np.any(w) and halved:
            check(
                False,
                f"{what}[{i}] is half the gradient autograd finds: got lam * w; "
                "the derivative of lam * w**2 is 2 * lam * w",
            )
        assert_close(g, t.grad, f"{what}[{i}] vs autograd", rtol=1e-10, atol=1e-12)


@pytest.mark.points(0.5)
def test_penalty_run_matches_engine_sgd_on_the_penalised_loss(student):
    lr, lam, steps = 0.05, 0.3, 30
    penalty_run, _ = student.sgd_penalty_vs_weight_decay(
        X, Y, W0, lr=lr, lam=lam, weight_decay=0.1, steps=steps
    )
    what = "sgd_penalty_vs_weight_decay(lam=0.3, steps=30) penalty run"
    penalty_run = as_array(penalty_run, what)
    half = engine_sgd_run(X, Y, W0, lr, steps, lam=lam / 2)
    if penalty_run.shape == half.shape and np.allclose(penalty_run, half, rtol=1e-9, atol=1e-12):
        check(
            False,
            f"{what} equals SGD on C + (lambda / 2) w^T w: the penalty gradient you "
            "use is half of 2 * lambda * w",
        )
    what += " vs optim.SGD on mse + lam * l2_penalty"
    assert_matches_engine_sgd(penalty_run, what, X, Y, W0, lr, steps, lam=lam)


@pytest.mark.points(0.5)
def test_decay_run_matches_engine_sgd_weight_decay(student):
    lr, weight_decay, steps = 0.05, 0.7, 30
    _, decay_run = student.sgd_penalty_vs_weight_decay(
        X, Y, W0, lr=lr, lam=0.3, weight_decay=weight_decay, steps=steps
    )
    what = (
        "sgd_penalty_vs_weight_decay(weight_decay=0.7, steps=30) decay run vs "
        "optim.SGD(weight_decay=0.7)"
    )
    assert_matches_engine_sgd(decay_run, what, X, Y, W0, lr, steps, weight_decay=weight_decay)


@pytest.mark.points(0.5)
def test_runs_differ_when_decay_equals_lambda(student):
    lam, steps = 0.3, 30
    penalty_run, decay_run = student.sgd_penalty_vs_weight_decay(
        X, Y, W0, lr=0.05, lam=lam, weight_decay=lam, steps=steps
    )
    what = "sgd_penalty_vs_weight_decay(lam=0.3, weight_decay=0.3)"
    penalty_run = as_array(penalty_run, what + " penalty run")
    decay_run = as_array(decay_run, what + " decay run")
    check(
        penalty_run.shape == decay_run.shape == (steps, 3),
        f"{what}: both runs should have shape (30, 3), got {penalty_run.shape} and "
        f"{decay_run.shape}",
    )
    check(
        np.max(np.abs(penalty_run - decay_run)) > 1e-3,
        f"{what}: the trajectories differ by at most {np.max(np.abs(penalty_run - decay_run))}"
        "; with weight_decay = lambda (not 2 * lambda) they should differ: does the penalty "
        "run add 2 * lambda * w (not lambda * w) to the gradient?",
    )


@pytest.mark.points(0.5)
def test_adam_and_adamw_match_the_engine_on_another_problem(student):
    lr, weight_decay, steps, betas, eps = 0.02, 0.8, 60, (0.8, 0.99), 1e-6
    w_adam, w_adamw, gap = student.adam_l2_vs_adamw(
        X, Y, W0, lr=lr, weight_decay=weight_decay, steps=steps, betas=betas, eps=eps
    )
    what = "adam_l2_vs_adamw(lr=0.02, weight_decay=0.8, steps=60, betas=(0.8, 0.99), eps=1e-6)"
    settings = (lr, weight_decay, steps, betas, eps)
    check_adam_and_adamw(w_adam, w_adamw, gap, what, (X, Y, W0), settings, min_gap=0.01)


@pytest.mark.points(0.5)
def test_weight_norms_match_the_engine_recipe(student):
    lams, seed, steps, lr = [0.0, 0.02, 0.2, 0.5], 3, 60, 0.3
    what = f"weight_norms(lams={lams}, seed=3, steps=60, lr=0.3)"
    norms = as_array(student.weight_norms(lams, seed=seed, steps=steps, lr=lr), what)
    half = engine_weight_norms([lam / 2 for lam in lams], seed, steps, lr)
    if norms.shape == half.shape and np.allclose(norms, half, rtol=1e-9, atol=1e-12):
        check(
            False,
            f"{what} equals the engine's norms with every lambda halved: the penalty "
            "gradient you use is half of 2 * lambda * w",
        )
    assert_close(
        norms,
        engine_weight_norms(lams, seed, steps, lr),
        what + " vs the same recipe with optim.SGD",
        rtol=1e-9,
        atol=1e-12,
    )
    check(
        np.all(np.diff(norms) < 0),
        f"{what}: a larger lambda should give a strictly smaller final norm, got {norms.tolist()}",
    )
