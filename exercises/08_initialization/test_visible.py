"""Tests you can run: `pytest 08_initialization` (or `tinygrad-cnn grade` for the graded run).

The statistical checks (the README derives them): a correct solution fails any of the
exercise's statistical comparisons with probability below 1e-6 in all, whichever way it draws
its numbers; initialization_checks.py holds the bounds. The activation tests are exact: the
recipe fixes every random number, and the expected variances below are those of the recipe.
"""

import numpy as np
import pytest
from initialization_checks import (
    INITIALIZERS,
    check_variance,
    check_within_limit,
    draw,
)

from tinygrad_cnn.grading.checks import as_array, assert_close, assert_equal, check

CONV = (64, 32, 3, 3)  # a 3x3 convolution from 32 to 64 channels: fan_in 288, fan_out 576

# activation_variances(20, 256, "he", seed=0, batch_size=128), layer 1 first
HE_VARIANCES = [
    0.6538887017332407, 0.6360496680845714, 0.664621077353384, 0.7129816456474166,
    0.6648627213497527, 0.655360655767043, 0.5540447479529066, 0.525018246141927,
    0.5820042958286571, 0.5990120655960114, 0.5725038886137996, 0.5704323027495408,
    0.6382417589417129, 0.6663913979742553, 0.787860974754214, 0.6479581269119872,
    0.695226349251143, 0.6912748547084923, 0.641841894421167, 0.7284926488998138,
]  # fmt: skip
# activation_variances(20, 256, "small", seed=0, batch_size=128): layers 1, 10 and 20
SMALL_VARIANCES = {1: 0.00836977538218548, 10: 7.071886253512787e-20, 20: 1.0153705588823341e-38}
INPUT_VARIANCE = 0.9955410100026736  # np.var of the recipe's input for seed 0, (128, 256)


def variances(student, init, depth=20, width=256, seed=0, batch_size=128):
    """The student's activation variances: a float array of shape (depth,), all finite."""
    what = f'activation_variances({depth}, {width}, "{init}", seed={seed}, batch_size={batch_size})'
    got = as_array(student.activation_variances(depth, width, init, seed, batch_size), what)
    check(got.shape == (depth,), f"{what}: expected shape ({depth},), got {got.shape}")
    check(bool(np.all(np.isfinite(got))), f"{what}: NaN or inf in {got}")
    return got.astype(np.float64), what


def per_layer_factor(got):
    """The geometric mean of v_{k+1} / v_k: how much one layer multiplies the variance by."""
    if np.all(got > 0):
        return (got[-1] / got[0]) ** (1 / (len(got) - 1))
    return 0.0


@pytest.mark.points(1)
def test_worked_example_3x3_conv_32_to_64(student):
    fans = student.fan_in_fan_out(CONV)
    check(
        isinstance(fans, (tuple, list)) and len(fans) == 2,
        f"fan_in_fan_out({CONV}) should return a pair (fan_in, fan_out), got {fans!r:.80}",
    )
    assert_equal(np.asarray(fans), [288, 576], f"fan_in_fan_out({CONV}) = (32*3*3, 64*3*3)")
    for name in INITIALIZERS:
        gain = 1.0 if name.startswith("xavier") else None
        w, what = draw(student, name, CONV, seed=0, gain=gain)
        if name.endswith("uniform"):  # limits 1/12 = 0.0833 (Xavier), sqrt(6/288) = 0.1443 (He)
            check_within_limit(w, what, name, 288, 576)
        else:  # standard deviations sqrt(2/864) = 0.0481 (Xavier), 1/12 = 0.0833 (He)
            check_variance(w, what, name, 288, 576)


@pytest.mark.points(1)
def test_he_normal_has_variance_two_over_fan_in(student):
    shape = (96, 64, 3, 3)  # fan_in = 576, fan_out = 864; 55,296 weights
    w, what = draw(student, "he_normal", shape, seed=1)  # tolerance -3.56%/+3.62%
    check_variance(w, what, "he_normal", 576, 864)


@pytest.mark.points(1)
def test_he_keeps_the_variance_through_20_relu_layers(student):
    got, what = variances(student, "he")
    ratio = got / INPUT_VARIANCE
    worst = int(np.argmax(np.abs(np.log(np.maximum(ratio, 1e-300)))))
    factor = per_layer_factor(got)
    hint = ""
    if 0.4 <= factor <= 0.6:
        hint = (
            f"; they shrink by a factor of {factor:.3f} per layer, as with weights of variance "
            f"1/fan_in instead of 2/fan_in (ReLU halves the mean square; the 2 makes up for it)"
        )
    check(
        bool(np.all((ratio >= 0.5) & (ratio <= 2.0))),
        f"{what}: layer {worst + 1}'s variance is {got[worst]:.4g}, {ratio[worst]:.3g} times the "
        f"input's {INPUT_VARIANCE:.4f}; with He's initialization every layer should stay within "
        f"0.5x to 2x of it{hint}",
    )
    assert_close(got, HE_VARIANCES, what, rtol=1e-9, atol=0)


@pytest.mark.points(1)
def test_small_weights_make_the_activations_collapse(student):
    got, what = variances(student, "small")
    check(
        0 < got[-1] < 1e-30 * INPUT_VARIANCE,
        f"{what}: layer 20's variance is {got[-1]:.4g}; with weights of standard deviation 0.01 "
        f"each layer multiplies it by about 256 * 0.01^2 / 2 = 0.0128, so it should be below "
        f"1e-30 (are the weights drawn with standard deviation 0.01, not variance 0.01?)",
    )
    for layer, expected in SMALL_VARIANCES.items():
        assert_close(
            got[layer - 1], expected, f"{what}[{layer - 1}] (layer {layer})", rtol=1e-9, atol=0
        )
