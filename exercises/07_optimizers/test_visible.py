"""Tests you can run: `pytest 07_optimizers` (or `tinygrad-cnn grade` for the graded run).

All of them use the problem of the statement (README.md, "The problem and the first three
steps"). The expected weights come from the statement's tables, worked out by hand (exact
decimals for both momentum forms), and from the engine's optimizers (``tinygrad_cnn.optim``,
PyTorch's rules), run by the helpers in optimizers_checks.py.
"""

import numpy as np
import pytest
from optimizers_checks import (
    assert_same_trajectory,
    check_damped_against_pytorch,
    check_first_step,
    engine_run,
    trajectory,
)

from tinygrad_cnn import optim
from tinygrad_cnn.grading.checks import assert_close

# The least-squares problem of the statement: C(w) = mean((X @ w - y)**2), from w0 = 0.
X = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 1.0], [2.0, 0.0]])
Y = np.array([1.0, 0.0, 2.0, -1.0])
W0 = np.zeros(2)
LR, MOMENTUM = 0.1, 0.9
BETAS, EPS = (0.9, 0.999), 1e-8

# The statement's tables: the weights after steps 1, 2 and 3.
MOMENTUM_TABLE = [[-0.05, 0.2], [-0.1, 0.5175], [-0.099125, 0.843]]
DAMPED_TABLE = [[-0.005, 0.02], [-0.01405, 0.057375], [-0.025924625, 0.109221]]
ADAM_TABLE = [
    [-0.099999998000, 0.099999999500],
    [-0.126633703494, 0.199045722857],
    [-0.100233355310, 0.296395431097],
]


@pytest.mark.points(1)
def test_momentum_first_three_steps(student):
    what = "sgd_momentum_trajectory(X, y, w0, lr=0.1, momentum=0.9, steps=3)"
    got = trajectory(student.sgd_momentum_trajectory(X, Y, W0, LR, MOMENTUM, 3), what, 3, 2)
    check_first_step("momentum", got, X, Y, W0, dict(lr=LR, momentum=MOMENTUM), what)
    assert_same_trajectory(got, MOMENTUM_TABLE, what + " vs the statement's table")
    expected = engine_run(optim.SGD, X, Y, W0, 3, lr=LR, momentum=MOMENTUM)
    assert_same_trajectory(got, expected, what + " vs optim.SGD(lr=0.1, momentum=0.9)")


@pytest.mark.points(1)
def test_damped_momentum_first_three_steps(student):
    what = "damped_momentum_trajectory(X, y, w0, lr=0.1, alpha=0.9, steps=3)"
    got = trajectory(student.damped_momentum_trajectory(X, Y, W0, LR, MOMENTUM, 3), what, 3, 2)
    check_first_step("damped", got, X, Y, W0, dict(lr=LR, alpha=MOMENTUM), what)
    assert_same_trajectory(got, DAMPED_TABLE, what + " vs the statement's table")


@pytest.mark.points(1)
def test_adam_first_three_steps(student):
    what = "adam_trajectory(X, y, w0, lr=0.1, betas=(0.9, 0.999), eps=1e-8, steps=3)"
    got = trajectory(student.adam_trajectory(X, Y, W0, LR, BETAS, EPS, 3), what, 3, 2)
    check_first_step("adam", got, X, Y, W0, dict(lr=LR, betas=BETAS, eps=EPS), what)
    expected = engine_run(optim.Adam, X, Y, W0, 3, lr=LR, betas=BETAS, eps=EPS)
    assert_same_trajectory(got, expected, what + " vs optim.Adam(lr=0.1)")
    assert_close(got, ADAM_TABLE, what + " vs the statement's table", rtol=0, atol=1e-11)


@pytest.mark.points(1)
def test_damped_form_is_pytorch_momentum_after_the_first_step(student):
    steps = 20
    what = f"damped_momentum_trajectory(X, y, w0, lr=0.1, alpha=0.9, steps={steps})"
    got = trajectory(
        student.damped_momentum_trajectory(X, Y, W0, LR, MOMENTUM, steps), what, steps, 2
    )
    check_first_step("damped", got, X, Y, W0, dict(lr=LR, alpha=MOMENTUM), what)
    # PyTorch's first step is longer by lr * a * g = 0.1 * 0.9 * [0.5, -2] = [0.045, -0.18]
    check_damped_against_pytorch(got, X, Y, W0, LR, MOMENTUM, what)
