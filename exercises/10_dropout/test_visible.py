"""Tests you can run: `pytest 10_dropout` (or `tinygrad-cnn grade` for the graded run).

p is the DROP probability everywhere (PyTorch, Keras, tinygrad_cnn); the keep probability
is 1 - p.

How the statistical test can be trusted (a correct solution fails it with probability below
1e-6). With n elements, each kept independently with probability q = 1 - p, the number kept
K is Binomial(n, q). Hoeffding's inequality bounds the binomial tail for every n, with no
normal approximation:

    P(|K/n - q| >= eps) <= 2 exp(-2 n eps^2).

The exercise makes 10 such comparisons in all (1 here, 9 in the hidden tests); giving each
a false-failure probability of 1e-7 keeps the chance that any of them fails a correct
solution below 10 * 1e-7 = 1e-6 (the union, or Bonferroni, bound). Solving
2 exp(-2 n eps^2) = 1e-7 gives eps = sqrt(ln(2e7) / (2n)) = 0.00648 for n = 200,000: the
fraction kept must lie within 0.00648 of q. (For comparison, its standard deviation is
sqrt(p q / n) <= 0.00112, so eps is at least 5.8 standard deviations.) On an input of ones
the output mean is (K/n) / q, so it must lie within eps / q of 1.
"""

import numpy as np
import pytest
from dropout_checks import (
    N,
    check_dropped_are_zero,
    check_mean_is_one,
    check_scaled_by_one_over_keep,
    forward,
)

from tinygrad_cnn.grading.checks import (
    CheckFailed,
    as_array,
    assert_close,
    assert_equal,
    check,
    expect_raises,
)

LECTURE_P = 0.5  # the Keras CNN of lecture 001 uses Dropout(0.5)


def check_kept_and_dropped(out, mask, x, p, what):
    """out is exactly 0 where mask is False and x / (1 - p) where it is True."""
    check_dropped_are_zero(out, mask, what)
    kept, expected = out[mask], x[mask] / (1 - p)
    check_scaled_by_one_over_keep(kept, x[mask], p, what, "x")
    what = f"{what}, the kept values out[mask] vs x[mask] / (1 - p)"
    assert_close(kept, expected, what, rtol=1e-12)


@pytest.mark.points(0.5)
def test_eval_mode_is_the_identity(student):
    x = np.arange(12.0).reshape(3, 4) - 5.5
    out, mask = forward(student, x, p=LECTURE_P, training=False, seed=0)
    assert_equal(out, x, "dropout_forward(x, p=0.5, training=False): out (should be x)")
    assert_equal(mask, np.ones(x.shape, dtype=bool), "the mask in evaluation (all True)")


@pytest.mark.points(1)
def test_kept_values_are_scaled_by_one_over_keep(student):
    x = np.linspace(-2.0, 3.0, 200).reshape(10, 20)  # all kept or all dropped: < 1e-19
    for p in (0.5, 0.2):
        out, mask = forward(student, x, p=p, training=True, seed=7)
        kept = int(mask.sum())
        check(
            0 < kept < x.size,
            f"dropout_forward(x of 200 elements, p={p}, seed=7) kept {kept} of them; "
            f"expected some kept and some dropped",
        )
        check_kept_and_dropped(out, mask, x, p, f"dropout_forward(x, p={p}, seed=7)")


@pytest.mark.points(1)
def test_mean_is_preserved_at_the_lecture_rate(student):
    p = LECTURE_P
    out, _ = forward(student, np.ones(N), p=p, training=True, seed=2024)
    unscaled = " (that is 1 - p times the input's mean: are the kept values scaled by 1/(1-p)?)"
    check_mean_is_one(out, p, unscaled)


@pytest.mark.points(0.5)
def test_backward_uses_the_forward_mask(student):
    x = np.linspace(-1.0, 1.0, 30).reshape(5, 6)
    grad_out = np.linspace(0.5, 3.0, 30).reshape(5, 6)
    p = LECTURE_P
    _, mask = forward(student, x, p=p, training=True, seed=11)
    grad_x = student.dropout_backward(grad_out, mask, p)
    what = "dropout_backward(grad_out, mask, p=0.5) with the mask of dropout_forward"
    got = as_array(grad_x, what)
    if got.shape == x.shape and mask.any() and np.allclose(got[mask], grad_out[mask]):
        raise CheckFailed(
            f"{what}: the gradient equals grad_out where mask is True instead of "
            f"grad_out / (1 - p) = 2 * grad_out; the forward scale 1/(1-p) also scales the "
            f"gradient"
        )
    expected = grad_out * mask / (1 - p)
    assert_close(got, expected, what + " vs grad_out * mask / (1 - p)", rtol=1e-12)


@pytest.mark.points(0.5)
def test_p_outside_zero_one_raises_value_error(student):
    x = np.ones((2, 3))
    for p in (-0.1, 1.5):
        expect_raises(
            ValueError,
            lambda p=p: student.dropout_forward(x, p=p, training=True, seed=0),
            f"dropout_forward(x, p={p})",
        )
