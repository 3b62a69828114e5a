"""Hidden tests for 08_initialization: fans of any shape against the engine's helper, the
draws against tinygrad_cnn.nn.init with the same seed, the variances of all four initializers
on non-square weights, and the activation recipe recomputed with the engine's initializers.

Statistical comparisons here: 8 (variances) + 2 (largest |w|), 5 in the visible tests: 15 in
all, each with a false-failure probability of 5e-8, below 1e-6 together (the union bound).
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from initialization_checks import (
    INITIALIZERS,
    check_variance,
    check_within_limit,
    draw,
    explain_scale,
)

import tinygrad_cnn
from tinygrad_cnn import Tensor
from tinygrad_cnn.grading.checks import as_array, assert_close, assert_equal, check, expect_raises
from tinygrad_cnn.nn import init
from tinygrad_cnn.testing import shapes

GAINS = (1.0, init.calculate_gain("tanh"), init.calculate_gain("relu"), 0.5)


def fan_in_fan_out_by_hand(shape):
    """(shape[1] * k, shape[0] * k) with k the product of the kernel sides shape[2:]."""
    kernel = math.prod(shape[2:])
    return shape[1] * kernel, shape[0] * kernel


def engine_weights(name, shape, seed, gain=1.0):
    """The same initializer from tinygrad_cnn.nn.init, after manual_seed(seed)."""
    tinygrad_cnn.manual_seed(seed)
    weight = Tensor(np.zeros(shape))
    if name == "xavier_uniform":
        init.xavier_uniform_(weight, gain=gain)
    elif name == "xavier_normal":
        init.xavier_normal_(weight, gain=gain)
    elif name == "he_uniform":
        init.kaiming_uniform_(weight, mode="fan_in", nonlinearity="relu")
    else:
        init.kaiming_normal_(weight, mode="fan_in", nonlinearity="relu")
    return weight.numpy()


def engine_variances(depth, width, name, seed, batch_size):
    """The README's recipe, with the engine's initializers for "he" and "xavier"."""
    shape = (width, width)
    x = np.random.default_rng(seed).standard_normal((batch_size, width))
    h, out = x, []
    for k in range(1, depth + 1):
        if name == "he":
            weight = engine_weights("he_normal", shape, seed + k)
        elif name == "xavier":
            weight = engine_weights("xavier_normal", shape, seed + k)
        elif name == "small":
            weight = np.random.default_rng(seed + k).normal(0.0, 0.01, size=shape)
        else:
            weight = np.random.default_rng(seed + k).uniform(-0.05, 0.05, size=shape)
        h = np.maximum(h @ weight.T, 0.0)
        out.append(np.var(h))
    return np.array(out), float(np.var(x))


@pytest.mark.points(1)
@given(shape=shapes(min_dims=2, max_dims=5, max_side=6))
def test_fan_in_fan_out_on_any_shape(student, shape):
    what = f"fan_in_fan_out({shape})"
    fans = student.fan_in_fan_out(shape)
    check(
        isinstance(fans, (tuple, list)) and len(fans) == 2,
        f"{what} should return a pair (fan_in, fan_out), got {fans!r:.80}",
    )
    engine = init.fan_in_and_fan_out(np.empty(shape))
    assert_equal(np.asarray(engine), fan_in_fan_out_by_hand(shape), "the engine's fans")
    hint = ""
    if tuple(int(f) for f in fans) == engine[::-1] and engine[0] != engine[1]:
        hint = " (swapped: fan_in counts the inputs, axis 1; fan_out the outputs, axis 0)"
    check(
        tuple(int(f) for f in fans) == engine,
        f"{what}: expected (fan_in, fan_out) = {engine} = (shape[1], shape[0]) times the kernel "
        f"size {math.prod(shape[2:])}, got {tuple(fans)}{hint}",
    )
    for bad in ((), (7,)):
        expect_raises(
            ValueError, lambda bad=bad: student.fan_in_fan_out(bad), f"fan_in_fan_out({bad})"
        )


@pytest.mark.points(1)
@given(
    shape=shapes(min_dims=2, max_dims=4, max_side=5),
    seed=st.integers(0, 2**32 - 1),
    gain=st.sampled_from(GAINS),
)
def test_draws_match_the_engine_and_stay_within_limits(student, shape, seed, gain):
    fan_in, fan_out = init.fan_in_and_fan_out(np.empty(shape))
    for name in INITIALIZERS:
        g = gain if name.startswith("xavier") else 1.0
        w, what = draw(student, name, shape, seed, gain=g if name.startswith("xavier") else None)
        if name.endswith("uniform"):
            check_within_limit(w, what, name, fan_in, fan_out, g, reach=False)
        expected = engine_weights(name, shape, seed, g)
        scale = float(np.sum(w * expected) / np.sum(expected**2))
        if scale > 0 and np.allclose(w, scale * expected, rtol=1e-9, atol=0):
            hint = explain_scale(name, scale**2, fan_in, fan_out, g)
            check(
                math.isclose(scale, 1.0, rel_tol=1e-9),
                f"{what}: the weights are {scale:.6g} times tinygrad_cnn.nn.init's with the same "
                f"seed (fan_in={fan_in}, fan_out={fan_out}): the standard deviation is off by "
                f"that factor{hint}",
            )
        assert_close(
            w,
            expected,
            f"{what} vs tinygrad_cnn.nn.init after manual_seed({seed}) (the same draw: "
            f"default_rng(seed).uniform(-limit, limit, size) or .normal(0, std, size))",
            rtol=1e-9,
            atol=0,
        )


@pytest.mark.points(1)
def test_variance_of_every_initializer_on_non_square_weights(student):
    # (shape, fan_in, fan_out): a conv with fan_in 1152 != fan_out 576, and a Linear 400 -> 250
    weights = (((64, 128, 3, 3), 1152, 576), ((250, 400), 400, 250))
    for index, (shape, fan_in, fan_out) in enumerate(weights):
        for name in INITIALIZERS:
            gain = init.calculate_gain("tanh") if name.startswith("xavier") else None
            w, what = draw(student, name, shape, seed=10 + index, gain=gain)
            check_variance(w, what, name, fan_in, fan_out, gain or 1.0)
    w, what = draw(student, "he_uniform", (64, 128, 3, 3), seed=20)
    check_within_limit(w, what, "he_uniform", 1152, 576)
    gain = init.calculate_gain("relu")
    w, what = draw(student, "xavier_uniform", (250, 400), seed=21, gain=gain)
    check_within_limit(w, what, "xavier_uniform", 400, 250, gain)


@pytest.mark.points(1)
def test_activation_variances_follow_the_recipe(student):
    depth, width, seed, batch_size = 20, 128, 7, 64
    for name in ("he", "xavier", "small", "uniform"):
        what = f'activation_variances({depth}, {width}, "{name}", {seed}, {batch_size})'
        got = as_array(student.activation_variances(depth, width, name, seed, batch_size), what)
        check(got.shape == (depth,), f"{what}: expected shape ({depth},), got {got.shape}")
        expected, input_variance = engine_variances(depth, width, name, seed, batch_size)
        if name == "he":  # the same order of magnitude as the input's at every layer
            ratio = got / input_variance
            factor = (got[-1] / got[0]) ** (1 / (depth - 1)) if np.all(got > 0) else 0.0
            hint = ""
            if 0.4 <= factor <= 0.6:
                hint = (
                    f"; they shrink by a factor of {factor:.3f} per layer, as with weights of "
                    f"variance 1/fan_in instead of 2/fan_in"
                )
            check(
                bool(np.all((ratio >= 0.1) & (ratio <= 10))),
                f"{what}: the variances range from {ratio.min():.3g} to {ratio.max():.3g} times "
                f"the input's; He's initialization keeps them within 0.1x to 10x here{hint}",
            )
        if name == "xavier":  # ReLU halves the mean square; Xavier (square layers) does not undo it
            factor = (expected[-1] / expected[0]) ** (1 / (depth - 1))
            check(0.4 <= factor <= 0.6, f"the recipe's Xavier factor per layer {factor}")
        assert_close(got, expected, f"{what} vs the recipe", rtol=1e-9, atol=0)
    expect_raises(
        ValueError,
        lambda: student.activation_variances(3, 4, "lecun", 0, 2),
        'activation_variances(3, 4, "lecun", 0, 2) (an unknown init)',
    )
