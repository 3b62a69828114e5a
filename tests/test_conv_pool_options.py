"""PyTorch's conv and pool options a course meets: ``padding="same"|"valid"`` for conv2d,
``ceil_mode`` for the pools; and the one-line errors for arguments that cannot work."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn import nn, optim
from tinygrad_cnn.testing import check_gradients, float_arrays


def correlate(x, weight, padding):
    """Direct cross-correlation with numpy on an explicitly padded input:
    padding = (top, bottom, left, right)."""
    top, bottom, left, right = padding
    x = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    f, _, kh, kw = weight.shape
    oh, ow = x.shape[2] - kh + 1, x.shape[3] - kw + 1
    out = np.zeros((x.shape[0], f, oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = x[:, :, i : i + kh, j : j + kw]
            out[:, :, i, j] = np.einsum("nchw,fchw->nf", window, weight)
    return out


# ----------------------------------------------------------------- padding="same" / "valid"
@pytest.mark.parametrize(
    "kernel, expected_padding",
    [((3, 3), (1, 1, 1, 1)), ((4, 4), (1, 2, 1, 2)), ((2, 5), (0, 1, 2, 2))],
)
def test_same_padding_keeps_the_size_and_puts_the_odd_row_at_the_bottom(kernel, expected_padding):
    x = np.arange(2 * 2 * 5 * 6, dtype=np.float64).reshape(2, 2, 5, 6) / 10
    weight = np.linspace(-1, 1, 3 * 2 * kernel[0] * kernel[1]).reshape(3, 2, *kernel)
    out = F.conv2d(tg.tensor(x), tg.tensor(weight), padding="same")
    assert out.shape == (2, 3, 5, 6)
    np.testing.assert_allclose(out.data, correlate(x, weight, expected_padding), rtol=1e-12)


def test_valid_padding_is_no_padding():
    x, weight = tg.randn(1, 2, 6, 6, dtype=np.float64), tg.randn(3, 2, 3, 3, dtype=np.float64)
    np.testing.assert_array_equal(
        F.conv2d(x, weight, padding="valid").data, F.conv2d(x, weight).data
    )


@given(
    kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    dilation=st.integers(1, 2),
    data=st.data(),
)
def test_same_padding_gradients(kernel, dilation, data):
    x = data.draw(float_arrays((1, 2, 5, 4)))
    weight = data.draw(float_arrays((2, 2, *kernel)))
    check_gradients(lambda a, w: F.conv2d(a, w, padding="same", dilation=dilation), x, weight)


def test_conv2d_layer_takes_same_padding():
    layer = nn.Conv2d(1, 4, 4, padding="same")
    assert layer(tg.randn(2, 1, 7, 7)).shape == (2, 4, 7, 7)
    assert "padding=same" in repr(layer)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: F.conv2d(tg.randn(1, 1, 5, 5), tg.randn(1, 1, 3, 3), stride=2, padding="same"),
            "conv2d: padding='same' needs stride 1, got stride=2",
        ),
        (
            lambda: nn.Conv2d(1, 1, 3, stride=2, padding="same"),
            "Conv2d: padding='same' needs stride 1, got stride=2",
        ),
        (
            lambda: F.conv2d(tg.randn(1, 1, 5, 5), tg.randn(1, 1, 3, 3), padding="full"),
            "conv2d: padding must be an int, a pair, 'same' or 'valid', got 'full'",
        ),
    ],
)
def test_bad_named_padding_is_one_line(call, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        call()


# ----------------------------------------------------------------- ceil_mode
X55 = np.arange(25, dtype=np.float64).reshape(1, 1, 5, 5)


def test_max_pool_ceil_mode_keeps_the_partial_windows():
    out = F.max_pool2d(tg.tensor(X55), 2, ceil_mode=True)
    # rows 0-1, 2-3 and the lone row 4; likewise the columns
    np.testing.assert_array_equal(out.data[0, 0], [[6, 8, 9], [16, 18, 19], [21, 23, 24]])
    assert F.max_pool2d(tg.tensor(X55), 2).shape == (1, 1, 2, 2)


def test_avg_pool_ceil_mode_divides_by_the_part_inside():
    out = F.avg_pool2d(tg.tensor(X55), 2, ceil_mode=True)
    # the corner window holds only 24; the last column's windows hold two values each
    np.testing.assert_allclose(out.data[0, 0, :, 2], [(4 + 9) / 2, (14 + 19) / 2, 24])
    np.testing.assert_allclose(out.data[0, 0, 0, 0], (0 + 1 + 5 + 6) / 4)


def test_avg_pool_ceil_mode_counts_padding_but_not_the_overhang():
    # 4 wide, kernel 3, stride 2, padding 1: windows start at -1 and 1, and a third at 3 that
    # covers [3, 4, 5]: place 3 is inside, 4 is padding, 5 is past the padding
    x = tg.tensor(np.array([[[[1.0, 2.0, 3.0, 4.0]]]]))
    with_pad = F.avg_pool2d(x, (1, 3), (1, 2), (0, 1), ceil_mode=True)
    np.testing.assert_allclose(with_pad.data.ravel(), [3 / 3, 9 / 3, 4 / 2])
    without = F.avg_pool2d(x, (1, 3), (1, 2), (0, 1), count_include_pad=False, ceil_mode=True)
    np.testing.assert_allclose(without.data.ravel(), [3 / 2, 9 / 3, 4 / 1])


def test_ceil_mode_never_starts_a_window_in_the_right_padding():
    # PyTorch's rule: 5 wide, kernel 2, stride 2, padding 1 gives 3 windows, not 4
    assert F.max_pool2d(tg.randn(1, 1, 5, 5), 2, 2, 1, ceil_mode=True).shape == (1, 1, 3, 3)


@given(
    size=st.tuples(st.integers(3, 7), st.integers(3, 7)),
    kernel=st.integers(2, 3),
    stride=st.integers(1, 3),
    padding=st.integers(0, 1),
    average=st.booleans(),
    count_include_pad=st.booleans(),
    data=st.data(),
)
def test_ceil_mode_gradients(size, kernel, stride, padding, average, count_include_pad, data):
    x = data.draw(float_arrays((1, 2, *size), distinct=True))
    if average:
        check_gradients(
            lambda a: F.avg_pool2d(a, kernel, stride, padding, count_include_pad, ceil_mode=True),
            x,
        )
    else:
        check_gradients(lambda a: F.max_pool2d(a, kernel, stride, padding, ceil_mode=True), x)


def test_pool_layers_take_ceil_mode():
    assert nn.MaxPool2d(2, ceil_mode=True)(tg.randn(1, 1, 5, 5)).shape == (1, 1, 3, 3)
    assert nn.AvgPool2d(2, ceil_mode=True)(tg.randn(1, 1, 5, 5)).shape == (1, 1, 3, 3)
    assert "ceil_mode=True" in repr(nn.MaxPool2d(2, ceil_mode=True))


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")  # PyTorch's note on even kernels
def test_padding_and_ceil_mode_equal_pytorch():
    torch = pytest.importorskip("torch")
    generator = np.random.default_rng(0)
    x = generator.standard_normal((2, 3, 7, 6))
    for kernel in (2, 3, 4, (2, 5)):
        weight = generator.standard_normal((4, 3, *np.broadcast_to(kernel, 2)))
        ours = F.conv2d(tg.tensor(x), tg.tensor(weight), padding="same").data
        theirs = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(weight), padding="same")
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-12)
    for kernel, stride, padding in [(2, 2, 0), (3, 2, 1), (2, 3, 1), (3, 3, 0)]:
        for include in (True, False):
            ours = F.avg_pool2d(tg.tensor(x), kernel, stride, padding, include, ceil_mode=True)
            theirs = torch.nn.functional.avg_pool2d(
                torch.tensor(x), kernel, stride, padding, True, include
            )
            np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)
        ours = F.max_pool2d(tg.tensor(x), kernel, stride, padding, ceil_mode=True)
        theirs = torch.nn.functional.max_pool2d(
            torch.tensor(x), kernel, stride, padding, ceil_mode=True
        )
        np.testing.assert_array_equal(ours.data, theirs.numpy())


# ----------------------------------------------------------------- one clear line
@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: F.conv2d(tg.randn(1, 2, 5, 5), tg.randn(0, 2, 3, 3)),
            ValueError,
            r"conv2d: weight \(0, 2, 3, 3\) has no filters or an empty kernel",
        ),
        (
            lambda: F.conv2d(tg.randn(1, 2, 5, 5), tg.randn(1, 2, 0, 3)),
            ValueError,
            r"conv2d: weight \(1, 2, 0, 3\) has no filters or an empty kernel",
        ),
        (
            lambda: F.conv2d(tg.randn(1, 1, 5, 5).to(np.float16), tg.randn(1, 1, 3, 3)),
            ValueError,
            r"conv2d: float16 is not supported \(float32 or float64; convert with .float\(\)\)",
        ),
        (
            lambda: F.max_pool2d(tg.randn(1, 1, 4, 4).to(np.float16), 2),
            ValueError,
            r"max_pool2d: float16 is not supported",
        ),
        (
            lambda: F.conv2d(np.ones((1, 1, 3, 3)), tg.randn(1, 1, 2, 2)),
            TypeError,
            r"conv2d: input 0 is a ndarray, not a Tensor \(wrap it first: Tensor\(x\)\)",
        ),
        (
            lambda: nn.Linear(3, 2)(tg.tensor(1.0)),
            ValueError,
            r"Linear: input of shape \(\) has 0 features, expected 3",
        ),
        (
            lambda: nn.BatchNorm2d(3, momentum=None),
            ValueError,
            r"BatchNorm2d: momentum=None \(PyTorch's cumulative average\) is not supported",
        ),
        (
            lambda: nn.BatchNorm1d(3, momentum=2.0),
            ValueError,
            r"BatchNorm1d: momentum must be in \[0, 1\], got 2.0",
        ),
        (
            lambda: optim.Adam(nn.Linear(2, 1).parameters(), betas=(1.5, 0.9)),
            ValueError,
            r"Adam: betas must be two numbers in \[0, 1\), got \(1.5, 0.9\)",
        ),
        (
            lambda: optim.SGD([np.zeros(3)], lr=0.1),
            TypeError,
            r"SGD: parameter 0 is a ndarray, not a Tensor \(pass model.parameters\(\)\)",
        ),
    ],
)
def test_arguments_that_cannot_work_fail_in_one_line(call, error, message):
    with pytest.raises(error, match="^" + message) as raised:
        call()
    assert "\n" not in str(raised.value)


def test_numpy_integers_are_accepted_as_sizes():
    x, weight = tg.randn(1, 1, 6, 6), tg.randn(2, 1, 3, 3)
    assert F.conv2d(x, weight, stride=np.int64(2), padding=np.int32(1)).shape == (1, 2, 3, 3)
    assert F.max_pool2d(x, np.int64(2)).shape == (1, 1, 3, 3)
    assert nn.Conv2d(1, 2, np.int64(3)).kernel_size == (3, 3)
