"""The grader's tests for softmax and cross-entropy (not given to students).

Expectations come from tinygrad_cnn (its softmax, log_softmax, fused cross-entropy and its
autograd, binary cross-entropy) or from the formulas written out here, never from the
reference solution. The classic mistakes they catch: no max subtraction (nan or inf from
large scores, which a shift by up to +-1000 also provokes), log_softmax as log(softmax)
(-inf where a probability underflows), normalising along the wrong axis, a sum where the mean
belongs, a gradient not divided by the batch size, base-10 logs, swapped labels.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from softmax_cross_entropy_checks import (
    CROSS_ENTROPY_HINT,
    LOG_HINT,
    check_finite,
    check_grad,
    check_loss,
    check_sums_to_one,
    result_array,
)

import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor
from tinygrad_cnn.grading.checks import assert_close
from tinygrad_cnn.testing import float_arrays, shapes

SHIFT_NOTE = "adding the same constant to every score must not change the result"


@st.composite
def arrays_and_axes(draw):
    z = draw(float_arrays(shapes(min_dims=1, max_dims=3, max_side=4)))
    return z, draw(st.integers(-z.ndim, z.ndim - 1))


@st.composite
def batches(draw):
    n, classes = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    logits = draw(float_arrays((n, classes), min_value=-10.0, max_value=10.0))
    targets = draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n))
    return logits, np.array(targets, dtype=np.int64)


@st.composite
def probabilities_and_labels(draw):
    shape = draw(shapes(min_dims=1, max_dims=2, max_side=4))
    p = draw(float_arrays(shape, min_value=0.01, max_value=0.99))
    y = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 1.0])))
    return p, y


@pytest.mark.points(1)
@given(case=arrays_and_axes(), c=st.floats(-1000.0, 1000.0))
def test_softmax_and_log_softmax_along_any_axis_are_shift_invariant(student, case, c):
    z, axis = case
    expected = Tensor(z).softmax(axis).numpy()  # the engine's stable softmax
    what = f"softmax(z of shape {z.shape}, axis={axis})"
    got = result_array(student.softmax(z, axis=axis), what, z.shape)
    check_finite(got, what)
    check_sums_to_one(got, axis, what)
    assert_close(got, expected, f"{what} vs the engine's softmax", rtol=1e-9, atol=1e-15)
    what = f"softmax(z + {c!r}, axis={axis})"
    got = result_array(student.softmax(z + c, axis=axis), what, z.shape)
    check_finite(got, what)
    assert_close(got, expected, f"{what} vs softmax(z): {SHIFT_NOTE}", rtol=1e-9, atol=1e-15)

    expected = Tensor(z).log_softmax(axis).numpy()
    what = f"log_softmax(z of shape {z.shape}, axis={axis})"
    got = result_array(student.log_softmax(z, axis=axis), what, z.shape)
    check_finite(got, what, LOG_HINT)
    assert_close(got, expected, f"{what} vs the engine's log_softmax", rtol=1e-9, atol=1e-12)
    what = f"log_softmax(z + {c!r}, axis={axis})"
    got = result_array(student.log_softmax(z + c, axis=axis), what, z.shape)
    check_finite(got, what, LOG_HINT)
    assert_close(got, expected, f"{what} vs log_softmax(z): {SHIFT_NOTE}", atol=1e-9)


@pytest.mark.points(1)
def test_extreme_logits_stay_finite_everywhere(student):
    cases = [  # (z, axis, softmax(z)), worked out by hand: e^-1000 and e^-2000 are 0.0
        (np.array([[1000.0, 1000.0], [-1000.0, -1000.0]]), -1, np.full((2, 2), 0.5)),
        (np.array([[1000.0], [0.0], [-1000.0]]), 0, np.array([[1.0], [0.0], [0.0]])),
        (np.array([-1000.0, -1000.0, -1000.0, -1000.0]), 0, np.full(4, 0.25)),
    ]
    for z, axis, expected in cases:
        what = f"softmax({z.tolist()}, axis={axis})"
        got = result_array(student.softmax(z, axis=axis), what, z.shape)
        check_finite(got, what)
        assert_close(got, expected, what, atol=1e-12)

    log_cases = [
        (np.array([1000.0, 0.0, -1000.0]), np.array([0.0, -1000.0, -2000.0])),
        (np.array([[-1000.0, -1000.0]]), np.full((1, 2), -np.log(2.0))),
    ]
    for z, expected in log_cases:
        what = f"log_softmax({z.tolist()})"
        got = result_array(student.log_softmax(z), what, z.shape)
        check_finite(got, what, LOG_HINT)
        assert_close(got, expected, what, rtol=1e-12, atol=1e-12)

    row = [1000.0, 0.0, -1000.0]
    logits, targets = np.array([row, row]), np.array([0, 2])
    what = "cross_entropy([[1000, 0, -1000], [1000, 0, -1000]], targets=[0, 2])"
    value = student.cross_entropy(logits, targets)
    check_loss(value, 1000.0, what, batch=2, hint=CROSS_ENTROPY_HINT)  # (0 + 2000) / 2
    what = "cross_entropy([[-1000, -1000, -1000]], targets=[1])"
    value = student.cross_entropy(np.full((1, 3), -1000.0), np.array([1]))
    check_loss(value, np.log(3.0), what, hint=CROSS_ENTROPY_HINT)
    what = "cross_entropy_grad([[1000, 0, -1000], [1000, 0, -1000]], targets=[0, 2])"
    expected = np.array([[1.0 - 1.0, 0.0, 0.0], [1.0, 0.0, 0.0 - 1.0]]) / 2
    check_grad(student.cross_entropy_grad(logits, targets), expected, what)


@pytest.mark.points(1)
@given(case=batches())
def test_cross_entropy_and_its_gradient_match_the_engine(student, case):
    logits, targets = case
    n, classes = logits.shape
    tensor = Tensor(logits, requires_grad=True)
    loss = F.cross_entropy(tensor, targets)  # the engine's fused, stable loss
    loss.backward()
    what = f"cross_entropy(logits of shape {logits.shape}, targets={targets.tolist()})"
    check_loss(student.cross_entropy(logits, targets), loss.item(), what, batch=n)

    what = f"cross_entropy_grad(logits of shape {logits.shape}, targets={targets.tolist()})"
    got = student.cross_entropy_grad(logits, targets)
    probabilities = Tensor(logits).softmax(-1).numpy()
    one_hot = np.eye(classes)[targets]
    check_grad(got, (probabilities - one_hot) / n, what)
    assert_close(got, tensor.grad, f"{what} vs the engine's autograd", rtol=1e-9, atol=1e-12)


@pytest.mark.points(1)
@given(case=probabilities_and_labels())
def test_binary_cross_entropy_matches_the_formula_and_the_engine(student, case):
    p, y = case
    what = f"binary_cross_entropy(p of shape {p.shape}, y={y.tolist()})"
    value = student.binary_cross_entropy(p, y)
    formula = float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))
    swapped = float(np.mean(-((1 - y) * np.log(p) + y * np.log(1 - p))))
    wrong = [(swapped, "that is the loss of the other labels: y goes with log p")]
    hint = "p and 1 - p are in (0, 1) here, so log p and log(1 - p) are finite"
    check_loss(value, formula, what, batch=p.size, wrong=wrong, hint=hint)
    engine = F.binary_cross_entropy(Tensor(p), y).item()
    check_loss(value, engine, what + " vs the engine", batch=p.size, wrong=wrong, hint=hint)
