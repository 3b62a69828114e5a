"""Helpers the visible and the hidden tests of 10_dropout share.

p is the DROP probability everywhere; the keep probability is 1 - p.

``forward`` calls the student's ``dropout_forward`` and checks the form of what comes back;
the two checks below it say what a wrong output looks like (a dropped value that is not 0,
kept values missing the 1/(1-p) scale). ``N`` and ``EPS`` set the statistical tests: with N
elements, the fraction kept must be within EPS of 1 - p (Hoeffding's inequality; the
docstring of test_visible.py derives it).
"""

import math

import numpy as np

from tinygrad_cnn.grading.checks import CheckFailed, as_array, check

N = 200_000  # elements in the input of a statistical test
PER_COMPARISON = 1e-7  # false-failure probability of one statistical comparison
EPS = math.sqrt(math.log(2 / PER_COMPARISON) / (2 * N))  # 0.00648: 2 exp(-2 N EPS^2) = 1e-7


def forward(student, x, p, training, seed):
    """The student's (out, mask), checked to be an array the shape of x and a bool mask."""
    what = f"dropout_forward(x of shape {x.shape}, p={p}, training={training}, seed={seed})"
    result = student.dropout_forward(x, p=p, training=training, seed=seed)
    check(
        isinstance(result, (tuple, list)) and len(result) == 2,
        f"{what} should return a pair (out, mask), got {type(result).__name__}",
    )
    out, mask = as_array(result[0], what + " out"), as_array(result[1], what + " mask")
    check(out.shape == x.shape, f"{what}: out has shape {out.shape}, expected {x.shape}")
    check(mask.shape == x.shape, f"{what}: mask has shape {mask.shape}, expected {x.shape}")
    check(mask.dtype == bool, f"{what}: mask should be a bool array, got dtype {mask.dtype}")
    return out, mask


def check_dropped_are_zero(out, mask, what):
    """``out`` is exactly 0 wherever ``mask`` is False; the failure names the first index."""
    if np.any(out[~mask] != 0):
        index = tuple(int(i) for i in np.argwhere(~mask & (out != 0))[0])
        raise CheckFailed(
            f"{what}: out should be exactly 0 where mask is False, but at index {index} "
            f"mask is False and out is {float(out[index])!r}"
        )


def check_scaled_by_one_over_keep(got, unscaled, p, what, name, note=""):
    """Fail with the symptom when the kept values ``got`` equal ``unscaled`` (named ``name``
    in the message) instead of unscaled / (1 - p); ``note`` ends the message. Does nothing
    when the scale is too close to 1 to tell, or nothing is kept."""
    scaled = not np.allclose(unscaled / (1 - p), unscaled, rtol=1e-12, atol=0)
    if scaled and got.size and np.allclose(got, unscaled, rtol=1e-12, atol=0):
        raise CheckFailed(
            f"{what}: the kept values equal {name} instead of {name} / (1 - p) = "
            f"{name} * {1 / (1 - p):g}; inverted dropout divides the survivors by the keep "
            f"probability 1 - p{note}"
        )


def check_mean_is_one(out, p, unscaled_hint, drop_as_keep_hint=""):
    """``out`` is dropout_forward(ones(N), p) in training: its mean, (K/N) / (1 - p), must be
    1 within EPS / (1 - p). A failure's message ends with ``unscaled_hint`` when the mean is
    1 - p (the kept values were not scaled), with ``drop_as_keep_hint`` when it is
    p / (1 - p) (a fraction p kept: p taken for the keep probability)."""
    mean, tolerance = float(np.mean(out)), EPS / (1 - p)
    hint = ""
    if abs(mean - (1 - p)) <= EPS:
        hint = unscaled_hint
    elif abs(mean * (1 - p) - p) <= EPS:  # a fraction p kept, then divided by 1 - p
        hint = drop_as_keep_hint
    check(
        abs(mean - 1) <= tolerance,
        f"dropout_forward(ones({N}), p={p}): the output's mean is {mean:.5f}, expected 1 "
        f"within {tolerance:.5f}{hint}",
    )
