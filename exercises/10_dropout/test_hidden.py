"""The grader's tests for dropout (not given to students).

p is the DROP probability everywhere; the keep probability is q = 1 - p.

The statistical tests (the same footing as test_visible.py): with n elements kept
independently with probability q, the number kept K is Binomial(n, q), and Hoeffding's
inequality bounds its tail for every n: P(|K/n - q| >= eps) <= 2 exp(-2 n eps^2). The
exercise makes 10 such comparisons (1 visible, 4 in the mean test and 5 in the fraction test
below); each gets a false-failure probability of 1e-7, so by the union (Bonferroni) bound a
correct solution fails any of them with probability below 10 * 1e-7 = 1e-6. That gives
eps = sqrt(ln(2e7) / (2n)) = 0.00648 for n = 200,000, at least 5.8 standard deviations
sqrt(p q / n) of K/n. Every other random event a correct solution could trip on here (two
seeds giving the same mask of 10,000 elements: at most 0.5^10,000 per pair) is far smaller.
"""

import numpy as np
import pytest
from dropout_checks import (
    EPS,
    N,
    check_dropped_are_zero,
    check_mean_is_one,
    check_scaled_by_one_over_keep,
    forward,
)
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_cnn import Tensor
from tinygrad_cnn.grading.checks import as_array, assert_close, assert_equal, check, expect_raises
from tinygrad_cnn.testing import float_arrays, shapes

BOTH_PASSES = " (in the forward and in the backward pass)"  # where the 1/(1-p) scale applies
SEEDS = st.integers(0, 2**32 - 1)
SMALL_SHAPES = shapes(min_dims=1, max_dims=3, max_side=5)


def backward(student, grad_out, mask, p):
    """The student's grad_x, checked to be an array the shape of grad_out."""
    what = f"dropout_backward(grad_out of shape {grad_out.shape}, mask, p={p})"
    grad_x = as_array(student.dropout_backward(grad_out, mask, p), what)
    check(
        grad_x.shape == grad_out.shape,
        f"{what}: grad_x has shape {grad_x.shape}, expected {grad_out.shape}",
    )
    return grad_x


@pytest.mark.points(0.5)
def test_mean_is_preserved_for_several_p(student):
    for seed, p in enumerate((0.1, 0.25, 0.75, 0.9)):
        out, _ = forward(student, np.ones(N), p=p, training=True, seed=100 + seed)
        unscaled = " (that is 1 - p times the input's mean: are kept values scaled by 1/(1-p)?)"
        drop_as_keep = " (as if p were the keep probability: p is the probability to DROP)"
        check_mean_is_one(out, p, unscaled, drop_as_keep)


@pytest.mark.points(0.5)
def test_fraction_kept_is_close_to_one_minus_p(student):
    for seed, p in enumerate((0.1, 0.25, 0.5, 0.75, 0.9)):
        _, mask = forward(student, np.ones(N), p=p, training=True, seed=200 + seed)
        kept = float(np.mean(mask))
        hint = ""
        if abs(kept - p) <= EPS:
            hint = (
                "; that is p itself: p is the probability to DROP (PyTorch, Keras), the "
                "PSI5886 lecture's p is the probability to keep"
            )
        check(
            abs(kept - (1 - p)) <= EPS,
            f"dropout_forward(ones({N}), p={p}) kept a fraction {kept:.5f} of the elements, "
            f"expected 1 - p = {1 - p:g} within {EPS:.5f}{hint}",
        )


@pytest.mark.points(0.5)
@given(x=float_arrays(SMALL_SHAPES), p=st.floats(0.0, 0.95), seed=SEEDS)
def test_output_is_scaled_input_or_zero(student, x, p, seed):
    out, mask = forward(student, x, p=p, training=True, seed=seed)
    what = f"dropout_forward(x, p={p}, seed={seed})"
    check_dropped_are_zero(out, mask, what)
    check_scaled_by_one_over_keep(out[mask], x[mask], p, what, "x", BOTH_PASSES)
    expected = np.where(mask, x / (1 - p), 0.0)
    assert_close(out, expected, f"{what} vs where(mask, x / (1 - p), 0)", rtol=1e-12)


@st.composite
def gradients_and_masks(draw):
    shape = draw(SMALL_SHAPES)
    grad_out = draw(float_arrays(shape))
    mask = draw(hnp.arrays(np.bool_, shape))
    return grad_out, mask


@pytest.mark.points(0.5)
@given(case=gradients_and_masks(), p=st.floats(0.0, 0.95))
def test_backward_matches_engine_autograd(student, case, p):
    grad_out, mask = case
    x = Tensor(np.linspace(-1.0, 1.0, grad_out.size).reshape(grad_out.shape), requires_grad=True)
    (x * Tensor(mask.astype(np.float64)) / (1 - p)).backward(grad_out)
    grad_x = backward(student, grad_out, mask, p)
    what = f"dropout_backward(grad_out, mask, p={p})"
    check_scaled_by_one_over_keep(grad_x[mask], grad_out[mask], p, what, "grad_out", BOTH_PASSES)
    expected = x.grad  # the engine's autograd of x * mask / (1 - p)
    assert_close(grad_x, expected, f"{what} vs the gradient of x * mask / (1 - p)", rtol=1e-12)


@pytest.mark.points(0.5)
@given(x=float_arrays(SMALL_SHAPES), p=st.floats(0.0, 1.0), seed=SEEDS)
def test_eval_mode_is_the_identity_for_any_p(student, x, p, seed):
    out, mask = forward(student, x, p=p, training=False, seed=seed)
    assert_equal(out, x, f"dropout_forward(x, p={p}, training=False): out (should be x)")
    assert_equal(mask, np.ones(x.shape, dtype=bool), "the mask in evaluation (all True)")


@pytest.mark.points(0.5)
def test_p_zero_keeps_everything(student):
    rng = np.random.default_rng(0)
    x, grad_out = rng.normal(size=(50, 20)), rng.normal(size=(50, 20))
    out, mask = forward(student, x, p=0.0, training=True, seed=3)
    assert_equal(mask, np.ones(x.shape, dtype=bool), "dropout_forward(x, p=0): the mask")
    assert_equal(out, x, "dropout_forward(x, p=0): out (nothing dropped, scale 1)")
    grad_x = backward(student, grad_out, mask, 0.0)
    assert_equal(grad_x, grad_out, "dropout_backward(grad_out, all-True mask, p=0)")


@pytest.mark.points(0.5)
def test_p_one_drops_everything_without_nan(student):
    rng = np.random.default_rng(1)
    x, grad_out = rng.normal(size=(50, 20)), rng.normal(size=(50, 20))
    out, mask = forward(student, x, p=1.0, training=True, seed=3)
    what = "dropout_forward(x, p=1)"
    check(np.all(np.isfinite(out)), f"{what}: out has NaN or inf (a division by 1 - p = 0?)")
    assert_equal(mask, np.zeros(x.shape, dtype=bool), f"{what}: the mask (all False)")
    assert_equal(out, np.zeros(x.shape), f"{what}: out (all zeros)")
    grad_x = backward(student, grad_out, np.zeros(x.shape, dtype=bool), 1.0)
    what = "dropout_backward(grad_out, all-False mask, p=1)"
    check(np.all(np.isfinite(grad_x)), f"{what}: NaN or inf (a division by 1 - p = 0?)")
    assert_equal(grad_x, np.zeros(x.shape), f"{what} (all zeros)")


@pytest.mark.points(0.5)
def test_seed_fixes_the_mask(student):
    x = np.ones(10_000)
    out_a, mask_a = forward(student, x, p=0.5, training=True, seed=5)
    out_b, mask_b = forward(student, x, p=0.5, training=True, seed=5)
    assert_equal(mask_b, mask_a, "the masks of two calls with seed=5")
    assert_equal(out_b, out_a, "the outputs of two calls with seed=5")
    _, mask_c = forward(student, x, p=0.5, training=True, seed=6)
    check(
        np.any(mask_c != mask_a),
        "dropout_forward(ones(10000), p=0.5) gives the same mask for seed=5 and seed=6: "
        "draw the random numbers from np.random.default_rng(seed)",
    )


@pytest.mark.points(0.5)
def test_invalid_p_raises_in_both_functions(student):
    x, mask = np.ones((2, 3)), np.ones((2, 3), dtype=bool)
    # for p = nan, "p < 0 or p > 1" is False: "not 0 <= p <= 1" rejects it
    for p in (float("nan"), -1e-9, 1.0000001):
        expect_raises(
            ValueError,
            lambda p=p: student.dropout_forward(x, p=p, training=True, seed=0),
            f"dropout_forward(x, p={p})",
        )
    expect_raises(
        ValueError,
        lambda: student.dropout_forward(x, p=2.0, training=False, seed=0),
        "dropout_forward(x, p=2.0, training=False)",
    )
    for p in (float("nan"), -0.5, 1.5):
        expect_raises(
            ValueError,
            lambda p=p: student.dropout_backward(x, mask, p),
            f"dropout_backward(g, mask, p={p})",
        )
