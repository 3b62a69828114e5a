"""Helpers the visible and the hidden tests of 07_optimizers share.

The engine side: ``engine_run`` trains w on ``mse_loss(X @ w, y)`` with one of
``tinygrad_cnn.optim``'s optimizers (PyTorch's rules, gradients from autograd) and returns the
weights after each step, the trajectory a student's function is compared with.

The student side: ``trajectory`` checks the form of what a function returned (a float array
of shape (steps, d)); ``assert_same_trajectory`` compares it step by step, so a failure names
the first step that differs; ``check_first_step`` recognises the classic mistakes from the
first step alone (w0 - w1) and says which one it sees.
"""

import numpy as np

import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor
from tinygrad_cnn.grading.checks import CheckFailed, as_array, assert_close, check

# Trajectories are compared within atol + rtol * |expected| per element. Rounding alone (the
# order of the operations in an update, numpy's gradient against autograd's) stays below
# 1e-15 on the tests' problems, weights of size about 1.
# Two correct codes may round differently, and Adam with a tiny eps and beta2 near 0 amplifies
# that over a few steps (2e-10 relative seen after 6 steps): far below any real mistake.
RTOL, ATOL = 1e-8, 1e-10


def engine_gradient(X, y, w):
    """dC/dw of C(w) = mse_loss(X @ w, y) at ``w``, by the engine's autograd."""
    w = Tensor(np.array(w, dtype=np.float64), requires_grad=True)
    F.mse_loss(Tensor(X) @ w, Tensor(y)).backward()
    return w.grad


def engine_run(optimizer_class, X, y, w0, steps, zero_momentum_buffer=False, **settings):
    """The weights after each of ``steps`` steps of ``optimizer_class(**settings)`` (e.g.
    ``optim.SGD, lr=0.1, momentum=0.9``) on mse_loss(X @ w, y) from w0: shape (steps, d).

    ``zero_momentum_buffer=True`` loads a momentum buffer of zeros before the first step (with
    ``load_state_dict``), so that SGD's first step updates it like every later step instead of
    setting it to the first gradient."""
    w = Tensor(np.array(w0, dtype=np.float64), requires_grad=True)
    optimizer = optimizer_class([w], **settings)
    if zero_momentum_buffer:
        saved = optimizer.state_dict()
        saved["state"] = {0: {"momentum_buffer": np.zeros_like(w.data)}}
        optimizer.load_state_dict(saved)
    rows = []
    for _ in range(steps):
        optimizer.zero_grad()
        F.mse_loss(Tensor(X) @ w, Tensor(y)).backward()
        optimizer.step()
        rows.append(w.data.copy())
    return np.array(rows)


def trajectory(result, what, steps, d):
    """The student's trajectory as a float array, checked to have shape (steps, d) and to be
    finite."""
    got = as_array(result, what)
    check(
        got.shape == (steps, d),
        f"{what}: expected shape ({steps}, {d}) (one row per step, the weights after it; w0 "
        f"is not a row), got shape {got.shape}",
    )
    check(np.all(np.isfinite(got)), f"{what}: the trajectory holds NaN or inf: {got.tolist()}")
    return got


def assert_same_trajectory(got, expected, what):
    """``got`` equals ``expected`` row by row within RTOL and ATOL; a failure names the first
    step (row t is step t + 1) where they part."""
    for t in range(len(expected)):
        assert_close(got[t], expected[t], f"{what}, w after step {t + 1}", rtol=RTOL, atol=ATOL)


def check_damped_against_pytorch(got, X, y, w0, lr, alpha, what):
    """The damped trajectory ``got`` is PyTorch's ``SGD(momentum=alpha, dampening=alpha)``
    except for the first step: PyTorch sets its buffer to g at its first step, so its first
    step is longer by lr * alpha * g; started from a buffer of zeros instead, that optimizer
    takes the damped steps from step 1 on."""
    from tinygrad_cnn import optim

    damped_sgd = dict(lr=lr, momentum=alpha, dampening=alpha)
    pytorch_w1 = engine_run(optim.SGD, X, y, w0, 1, **damped_sgd)[0]
    assert_close(
        got[0],
        pytorch_w1 + lr * alpha * engine_gradient(X, y, w0),
        what
        + f": w1 vs (w1 of optim.SGD(momentum={alpha:g}, dampening={alpha:g})) + lr * alpha * g",
        rtol=RTOL,
        atol=ATOL,
    )
    expected = engine_run(optim.SGD, X, y, w0, len(got), zero_momentum_buffer=True, **damped_sgd)
    assert_same_trajectory(
        got,
        expected,
        what + f" vs optim.SGD(momentum={alpha:g}, dampening={alpha:g}) with a zero buffer",
    )


def _first_step_mistakes(kind, g, n, settings):
    """(the correct first step w0 - w1, [(mistaken step, what it means), ...]) for ``kind``
    'momentum', 'damped' or 'adam'; g is the gradient at w0, n the number of rows of X."""
    lr = settings["lr"]
    if kind == "momentum":
        a = settings["momentum"]
        correct = lr * g
        mistakes = [
            (
                lr * (1 - a) * g,
                "the damped form's first step: PyTorch's buffer starts as the first gradient, "
                "b = g, so the first step is lr * g",
            ),
            (
                lr * a * g,
                "lr * momentum * g: the step is w = w - lr * b with b = momentum * b + g (b = g "
                "at the first step); do not multiply the step by momentum again",
            ),
            (
                0 * g,
                "no move at all: the buffer must take in the current gradient before the step "
                "(b = g at the first step, then w = w - lr * b)",
            ),
        ]
    elif kind == "damped":
        a = settings["alpha"]
        correct = lr * (1 - a) * g
        mistakes = [
            (
                lr * g,
                "PyTorch's first step (the buffer set to g): in the damped form v starts at "
                "zero, so v = (1 - alpha) * g and the first step is lr * (1 - alpha) * g",
            ),
            (
                lr * a * g,
                "lr * alpha * g: alpha and 1 - alpha are swapped; v = alpha * v + (1 - alpha) * g",
            ),
        ]
    else:
        (b1, b2), eps = settings["betas"], settings["eps"]
        correct = lr * g / (np.abs(g) + eps)
        mistakes = [
            (
                lr * (1 - b1) * g / (np.sqrt(1 - b2) * np.abs(g) + eps),
                "Adam without bias correction: at step t divide m by 1 - beta1**t and v by "
                "1 - beta2**t (at step 1, m_hat = g and v_hat = g**2, so each weight moves by "
                "about lr)",
            ),
            (
                lr * g / (np.sqrt(1 - b2) * np.abs(g) + eps),
                "m corrected but v not: the bias correction also divides v by 1 - beta2**t",
            ),
            (
                lr * (1 - b1) * g / (np.abs(g) + eps),
                "v corrected but m not: the bias correction also divides m by 1 - beta1**t",
            ),
            (
                lr * g / np.sqrt(g * g + eps),
                "eps inside the square root: Adam divides by sqrt(v_hat) + eps",
            ),
        ]
    # the lecture's slide sums the gradients of the batch: n times their mean, mse_gradient;
    # Adam's step hardly changes (only eps weighs n times less), the others' is n times longer
    summed = (
        lr * g / (np.abs(g) + eps / n) if kind == "adam" else n * correct,
        f"the step of a gradient summed over the {n} rows, as on the lecture's slide; use "
        "their mean, mse_gradient",
    )
    return correct, mistakes + [summed]


def check_first_step(kind, got, X, y, w0, settings, what):
    """Fail with the name of the mistake when the first step w0 - w1 of the student's
    trajectory ``got`` is one of the classic wrong first steps of ``kind`` ('momentum',
    'damped' or 'adam', with ``settings`` the keyword arguments of the call: lr and momentum,
    alpha or betas and eps); otherwise compare it with the correct first step."""
    g = engine_gradient(X, y, w0)
    correct, mistakes = _first_step_mistakes(kind, g, len(y), settings)
    step = np.asarray(w0, dtype=np.float64) - got[0]

    def same(a, b):
        return np.allclose(a, b, rtol=1e-9, atol=1e-15)

    for mistaken, meaning in mistakes:
        if same(step, mistaken) and not same(mistaken, correct):
            raise CheckFailed(
                f"{what}: the first step w0 - w1 is {step.tolist()}, expected "
                f"{correct.tolist()}; yours is {meaning}"
            )
    assert_close(step, correct, f"{what}, the first step w0 - w1", rtol=RTOL, atol=ATOL)
