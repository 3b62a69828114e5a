"""Initializers: bounds and variances from the formulas, and seeding."""

import math

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn.nn import init


def big(shape=(256, 512)):
    return tg.zeros(*shape)


def test_xavier():
    tg.manual_seed(0)
    w = init.xavier_uniform_(big())
    bound = math.sqrt(6 / (256 + 512))
    assert np.abs(w.data).max() <= bound
    assert w.data.var() == pytest.approx(2 / (256 + 512), rel=0.02)
    w = init.xavier_normal_(big(), gain=init.calculate_gain("tanh"))
    assert w.data.std() == pytest.approx(5 / 3 * math.sqrt(2 / 768), rel=0.02)


def test_kaiming():
    tg.manual_seed(0)
    w = init.kaiming_normal_(big(), nonlinearity="relu")
    assert w.data.std() == pytest.approx(math.sqrt(2 / 512), rel=0.02)
    w = init.kaiming_uniform_(big(), mode="fan_out", nonlinearity="relu")
    assert np.abs(w.data).max() <= math.sqrt(3) * math.sqrt(2 / 256)
    assert w.data.var() == pytest.approx(2 / 256, rel=0.02)
    conv = init.kaiming_normal_(tg.zeros(64, 32, 3, 3), nonlinearity="relu")
    assert conv.data.std() == pytest.approx(math.sqrt(2 / (32 * 9)), rel=0.03)


def test_constant_zeros_ones_and_fans():
    w = tg.zeros(3, 4)
    assert init.constant_(w, 0.5).data.tolist() == [[0.5] * 4] * 3
    assert not init.zeros_(w).data.any()
    assert init.ones_(w).data.sum() == 12
    assert init.fan_in_and_fan_out(tg.zeros(16, 6, 5, 5)) == (150, 400)
    with pytest.raises(ValueError, match="at least 2 axes"):
        init.xavier_uniform_(tg.zeros(3))
    with pytest.raises(ValueError, match="unknown nonlinearity"):
        init.calculate_gain("swish")


def test_initializers_follow_manual_seed():
    tg.manual_seed(5)
    a = init.kaiming_uniform_(big((4, 4))).data.copy()
    tg.manual_seed(5)
    np.testing.assert_array_equal(a, init.kaiming_uniform_(big((4, 4))).data)
