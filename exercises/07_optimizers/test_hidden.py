"""The grader's tests for 07_optimizers (not given to students): every trajectory against the
engine's optimizers (``tinygrad_cnn.optim``, PyTorch's rules) on a problem the statement does
not show, for learning rates, momenta, betas, eps and starting points drawn by hypothesis.

The problem's curvature (the eigenvalues of 2/n X^T X) lies between 2.2 and 4.2, so every
setting drawn here converges (heavy ball: lr * 4.2 < 2 (1 + momentum); Adam's steps are at
most about lr): no trajectory overflows.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from optimizers_checks import (
    assert_same_trajectory,
    check_damped_against_pytorch,
    check_first_step,
    engine_run,
    trajectory,
)

from tinygrad_cnn import optim
from tinygrad_cnn.grading.checks import check
from tinygrad_cnn.testing import float_arrays

# A least-squares problem the statement does not show: 5 points, 3 features.
X = np.array(
    [
        [0.5, -1.0, 2.0],
        [1.5, 0.2, -0.4],
        [-0.3, 2.5, 1.0],
        [2.0, 1.0, 0.0],
        [-1.2, -0.7, 0.9],
    ]
)
Y = np.array([1.0, -0.5, 2.0, 0.3, -1.5])

starts = float_arrays((3,))
steps_ = st.integers(1, 12)
rates = st.floats(1e-3, 0.2)
momenta = st.floats(0.0, 0.95)


@pytest.mark.points(1)
@given(w0=starts, lr=rates, momentum=momenta, steps=steps_)
def test_momentum_matches_engine_sgd(student, w0, lr, momentum, steps):
    what = f"sgd_momentum_trajectory(X, y, w0, lr={lr}, momentum={momentum}, steps={steps})"
    got = trajectory(student.sgd_momentum_trajectory(X, Y, w0, lr, momentum, steps), what, steps, 3)
    check_first_step("momentum", got, X, Y, w0, dict(lr=lr, momentum=momentum), what)
    expected = engine_run(optim.SGD, X, Y, w0, steps, lr=lr, momentum=momentum)
    assert_same_trajectory(got, expected, what + f" vs optim.SGD(momentum={momentum})")


@pytest.mark.points(1)
@given(w0=starts, lr=rates, alpha=momenta, steps=steps_)
def test_damped_momentum_matches_engine_sgd_after_the_first_step(student, w0, lr, alpha, steps):
    what = f"damped_momentum_trajectory(X, y, w0, lr={lr}, alpha={alpha}, steps={steps})"
    got = trajectory(student.damped_momentum_trajectory(X, Y, w0, lr, alpha, steps), what, steps, 3)
    check_first_step("damped", got, X, Y, w0, dict(lr=lr, alpha=alpha), what)
    check_damped_against_pytorch(got, X, Y, w0, lr, alpha, what)
    # v = (1 - alpha) * b for PyTorch's undamped buffer b: the same steps as plain momentum
    # with the learning rate lr * (1 - alpha), from the first step on
    expected = engine_run(optim.SGD, X, Y, w0, steps, lr=lr * (1 - alpha), momentum=alpha)
    assert_same_trajectory(got, expected, what + " vs optim.SGD(lr=lr * (1 - alpha), momentum)")


@pytest.mark.points(2)
@given(
    w0=starts,
    lr=st.floats(1e-3, 0.5),
    beta1=st.floats(0.0, 0.99),
    beta2=st.floats(0.0, 0.9999),
    eps=st.floats(1e-10, 1e-2),
    steps=steps_,
)
def test_adam_matches_engine_adam(student, w0, lr, beta1, beta2, eps, steps):
    betas = (beta1, beta2)
    what = f"adam_trajectory(X, y, w0, lr={lr}, betas={betas}, eps={eps}, steps={steps})"
    got = trajectory(student.adam_trajectory(X, Y, w0, lr, betas, eps, steps), what, steps, 3)
    check_first_step("adam", got, X, Y, w0, dict(lr=lr, betas=betas, eps=eps), what)
    expected = engine_run(optim.Adam, X, Y, w0, steps, lr=lr, betas=betas, eps=eps)
    assert_same_trajectory(got, expected, what + f" vs optim.Adam(lr={lr}, betas={betas})")


@pytest.mark.points(1)
def test_zero_momentum_is_plain_descent_and_adam_first_step_is_lr(student):
    w0, lr, steps = np.array([0.7, -1.1, 0.4]), 0.05, 8
    plain = engine_run(optim.SGD, X, Y, w0, steps, lr=lr)
    what = "sgd_momentum_trajectory(X, y, w0, lr=0.05, momentum=0, steps=8)"
    got = trajectory(student.sgd_momentum_trajectory(X, Y, w0, lr, 0.0, steps), what, steps, 3)
    check_first_step("momentum", got, X, Y, w0, dict(lr=lr, momentum=0.0), what)
    assert_same_trajectory(got, plain, what + " vs plain gradient descent, optim.SGD(lr=0.05)")
    what = "damped_momentum_trajectory(X, y, w0, lr=0.05, alpha=0, steps=8)"
    got = trajectory(student.damped_momentum_trajectory(X, Y, w0, lr, 0.0, steps), what, steps, 3)
    check_first_step("damped", got, X, Y, w0, dict(lr=lr, alpha=0.0), what)
    assert_same_trajectory(got, plain, what + " vs plain gradient descent, optim.SGD(lr=0.05)")
    # Adam's first step moves every weight by lr * |g| / (|g| + eps), about lr, whatever the
    # size of the gradient: here with the loss scaled by 1e6 and by 1e-2 (X and y by 1e3, 0.1)
    for scale in (1e3, 0.1):
        Xs, Ys = X * scale, Y * scale
        what = f"adam_trajectory(X * {scale:g}, y * {scale:g}, w0, lr=0.05, steps=1)"
        got = trajectory(student.adam_trajectory(Xs, Ys, w0, lr, (0.9, 0.999), 1e-8, 1), what, 1, 3)
        check_first_step("adam", got, Xs, Ys, w0, dict(lr=lr, betas=(0.9, 0.999), eps=1e-8), what)
        moved = np.abs(got[0] - w0)
        check(
            np.allclose(moved, lr, rtol=1e-4, atol=0),
            f"{what}: every weight should move by about lr = 0.05 at the first step, whatever "
            f"the gradient's size; they moved by {moved.tolist()}",
        )
