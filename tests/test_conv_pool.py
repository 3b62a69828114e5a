"""Convolution and pooling: the lecture's worked examples, fast kernels against their
reference twins, gradients of both, PyTorch's semantics, and bad input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn.kernels import fast, reference, runtime
from tinygrad_cnn.ops.conv import Conv2d
from tinygrad_cnn.ops.pool import AvgPool2d, MaxPool2d
from tinygrad_cnn.testing import check_gradients, float_arrays


def image(rows):
    """A 2-D list as a (1, 1, H, W) float64 tensor."""
    return tg.Tensor(np.array(rows, dtype=np.float64)[None, None])


# ----------------------------------------------------------------- the lecture's examples
def test_lecture_convolution_3x3_by_2x2():
    out = F.conv2d(image([[0, 1, 2], [3, 4, 5], [6, 7, 8]]), image([[0, 1], [2, 3]]))
    np.testing.assert_array_equal(out.data[0, 0], [[19, 25], [37, 43]])


def test_lecture_convolution_with_stride_2():
    x = image([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1], [2, 3, 4, 5]])
    out = F.conv2d(x, image([[0, 1], [2, 3]]), stride=2)
    np.testing.assert_array_equal(out.data[0, 0], [[24, 36], [22, 24]])


def test_lecture_convolution_over_three_channels():
    x = np.array(
        [
            [[0, 1, 2], [3, 4, 5], [6, 7, 8]],
            [[3, 1, 5], [0, 2, 7], [8, 4, 9]],
            [[9, 2, 3], [3, 1, 4], [8, 0, 5]],
        ],
        dtype=np.float64,
    )
    w = np.array([[[0, 1], [2, 3]], [[5, 6], [1, 0]], [[1, 3], [4, 2]]], dtype=np.float64)
    out = F.conv2d(tg.Tensor(x[None]), tg.Tensor(w[None]))
    np.testing.assert_array_equal(out.data[0, 0], [[69, 85], [95, 122]])


def test_lecture_vertical_edge_detector():
    x = image([[10, 10, 10, 0, 0, 0]] * 6)
    out = F.conv2d(x, image([[1, 0, -1]] * 3))
    np.testing.assert_array_equal(out.data[0, 0], [[0, 30, 30, 0]] * 4)


def test_lecture_max_pooling():
    x = image([[1, 3, 2, 1], [2, 9, 1, 1], [1, 3, 2, 3], [5, 6, 1, 2]])
    np.testing.assert_array_equal(F.max_pool2d(x, 2).data[0, 0], [[9, 2], [6, 3]])


def test_conv_backward_worked_example_from_the_docstring():
    x = tg.Tensor(np.arange(9.0).reshape(1, 1, 3, 3), requires_grad=True)
    w = tg.Tensor(np.array([[[[0.0, 1], [2, 3]]]]), requires_grad=True)
    b = tg.Tensor(np.array([0.5]), requires_grad=True)
    F.conv2d(x, w, b).sum().backward()
    np.testing.assert_array_equal(w.grad[0, 0], [[8, 12], [20, 24]])
    np.testing.assert_array_equal(x.grad[0, 0], [[0, 1, 1], [2, 6, 4], [2, 5, 3]])
    assert b.grad[0] == 4.0


# ----------------------------------------------------------------- fast == reference
@st.composite
def conv_configs(draw, max_batch=2, max_channels=3):
    n, c, f = (
        draw(st.integers(1, max_batch)),
        draw(st.integers(1, max_channels)),
        draw(st.integers(1, 3)),
    )
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    size = []
    for axis in range(2):
        span = dilation[axis] * (kernel[axis] - 1) + 1
        size.append(draw(st.integers(max(1, span - 2 * padding[axis]), span + 4)))
    return (n, c, *size), (f, c, *kernel), stride, padding, dilation


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(config=conv_configs(), data=st.data())
def test_fast_conv_equals_reference(dtype, config, data):
    x_shape, w_shape, stride, padding, dilation = config
    x = data.draw(float_arrays(x_shape, dtype=dtype))
    w = data.draw(float_arrays(w_shape, dtype=dtype))
    bias = data.draw(st.none() | float_arrays(w_shape[:1], dtype=dtype))
    out, fast_cache = fast.conv2d_forward(x, w, stride, padding, dilation, bias=bias)
    expected, ref_cache = reference.conv2d_forward(x, w, stride, padding, dilation, bias=bias)
    tolerance = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    assert out.dtype == dtype and out.shape == expected.shape
    np.testing.assert_allclose(out, expected, **tolerance)
    g = data.draw(float_arrays(out.shape, dtype=dtype))
    wanted = dict(need_bias=bias is not None)  # with a bias, its gradient too
    grads = fast.conv2d_backward(fast_cache, w, g, stride, padding, dilation, **wanted)
    expected_grads = reference.conv2d_backward(ref_cache, w, g, stride, padding, dilation, **wanted)
    assert (grads[2] is None) == (bias is None) == (expected_grads[2] is None)
    for mine, theirs in zip(grads, expected_grads):
        if theirs is not None:
            assert mine.dtype == dtype
            np.testing.assert_allclose(mine, theirs, **tolerance)


@pytest.mark.parametrize("side_by_side", [False, True], ids=["image by image", "side by side"])
@given(config=conv_configs(max_batch=5, max_channels=4), data=st.data())
def test_both_product_layouts_and_thread_slices_equal_the_reference(side_by_side, config, data):
    """Whichever products ``folds`` picks, however the threads slice the batch (here every
    call is split: SPLIT_FROM 0) and however many images a thread convolves at a time when
    it keeps no columns (``CHUNK_BYTES``), forward and backward equal the reference."""
    x_shape, w_shape, stride, padding, dilation = config
    chunk_bytes = data.draw(st.integers(1, 4000), label="CHUNK_BYTES")
    x, w = data.draw(float_arrays(x_shape)), data.draw(float_arrays(w_shape))
    bias = data.draw(float_arrays(w_shape[:1]))
    expected, ref_cache = reference.conv2d_forward(x, w, stride, padding, dilation, bias=bias)
    g = data.draw(float_arrays(expected.shape))
    expected_grads = reference.conv2d_backward(
        ref_cache, w, g, stride, padding, dilation, need_bias=True
    )
    with pytest.MonkeyPatch.context() as patch, tg.tuned_for_training():
        patch.setattr(fast, "folds", lambda filters, positions: side_by_side)
        patch.setattr(runtime, "SPLIT_FROM", 0)
        patch.setattr(fast, "CHUNK_BYTES", chunk_bytes)
        out, cache = fast.conv2d_forward(x, w, stride, padding, dilation, bias=bias)
        evaluated, _ = fast.conv2d_forward(x, w, stride, padding, dilation, False, bias)
        grads = fast.conv2d_backward(cache, w, g, stride, padding, dilation, need_bias=True)
    for mine, theirs in zip((out, evaluated, *grads), (expected, expected, *expected_grads)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-10)


@given(config=conv_configs(), data=st.data())
def test_col2im_is_the_adjoint_of_im2col(config, data):
    """im2col and col2im share one loop nest; the adjoint identity
    <im2col(x), c> == <x, col2im(c)> checks both directions of it."""
    x_shape, w_shape, stride, padding, dilation = config
    kh, kw = w_shape[2:]
    sizes = [
        reference.output_size(x_shape[2 + a], w_shape[2 + a], stride[a], padding[a], dilation[a])
        for a in range(2)
    ]
    x = data.draw(float_arrays(x_shape))
    columns = fast.im2col(x, kh, kw, stride, padding, dilation, *sizes)
    c = data.draw(float_arrays(columns.shape))
    back = fast.col2im(c, x_shape, kh, kw, stride, padding, dilation, *sizes)
    np.testing.assert_allclose(np.vdot(columns, c), np.vdot(x, back), rtol=1e-9, atol=1e-9)


@given(config=conv_configs(max_batch=40), data=st.data())
def test_a_forward_with_no_backward_keeps_nothing_and_gives_the_same_output(config, data):
    """Without ``keep`` the fast forward convolves a few images at a time through one reused
    buffer (with chunks of at most a few images, batches of up to 40 cross several of them,
    with and without padding)."""
    x_shape, w_shape, stride, padding, dilation = config
    x, w = data.draw(float_arrays(x_shape)), data.draw(float_arrays(w_shape))
    chunk_bytes = data.draw(st.integers(1, 4000), label="CHUNK_BYTES")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fast, "CHUNK_BYTES", chunk_bytes)
        kept, cache = fast.conv2d_forward(x, w, stride, padding, dilation)
        dropped, nothing = fast.conv2d_forward(x, w, stride, padding, dilation, keep=False)
    expected, no_cache = reference.conv2d_forward(x, w, stride, padding, dilation, keep=False)
    assert nothing is None and no_cache is None and cache is not None
    np.testing.assert_array_equal(dropped, kept)
    np.testing.assert_allclose(dropped, expected, rtol=1e-10, atol=1e-10)


def test_the_op_keeps_its_columns_only_when_a_backward_can_follow():
    asked = []

    class Recording:  # the fast kernels, noting what each forward was asked to keep
        conv2d_backward = staticmethod(fast.conv2d_backward)

        @staticmethod
        def conv2d_forward(*args, keep, bias):
            asked.append(keep)
            return fast.conv2d_forward(*args, keep=keep, bias=bias)

    x, w = tg.randn(3, 2, 6, 6), tg.randn(4, 2, 3, 3, requires_grad=True)
    Conv2d.apply(x, w, kernels=Recording).sum().backward()
    with tg.no_grad():
        Conv2d.apply(x, w, kernels=Recording)
    Conv2d.apply(x, w.detach(), kernels=Recording)  # nothing requires a gradient
    assert asked == [True, False, False] and w.grad is not None


@st.composite
def pool_configs(draw):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    size = [draw(st.integers(max(1, k - 2 * p), k + 5)) for k, p in zip(kernel, padding)]
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), *size)
    return shape, kernel, stride, padding


@given(
    shape=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(2, 9), st.integers(2, 9)),
    data=st.data(),
)
def test_fast_2x2_pooling_equals_reference_on_odd_sizes_ties_and_nans(shape, data):
    """The usual 2x2 pooling has loops of its own (forward and backward); odd sizes leave a
    row or column out of every window, and small integers make ties and NaNs likely."""
    values = st.one_of(st.integers(-2, 2).map(float), st.just(np.nan))
    x = data.draw(hnp.arrays(np.float64, shape, elements=values))
    window = ((2, 2), (2, 2), (0, 0))
    out, argmax = fast.max_pool2d_forward(x, *window)
    expected, expected_argmax = reference.max_pool2d_forward(x, *window)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(argmax, expected_argmax)
    g = data.draw(float_arrays(out.shape))
    np.testing.assert_array_equal(
        fast.max_pool2d_backward(g, argmax, shape, *window),
        reference.max_pool2d_backward(g, argmax, shape, *window),
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(config=pool_configs(), data=st.data())
def test_fast_pooling_equals_reference(dtype, config, data):
    shape, kernel, stride, padding = config
    x = data.draw(float_arrays(shape, dtype=dtype))
    out, argmax = fast.max_pool2d_forward(x, kernel, stride, padding)
    expected, expected_argmax = reference.max_pool2d_forward(x, kernel, stride, padding)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(argmax, expected_argmax)
    g = data.draw(float_arrays(out.shape, dtype=dtype))
    np.testing.assert_allclose(
        fast.max_pool2d_backward(g, argmax, shape, kernel, stride, padding),
        reference.max_pool2d_backward(g, argmax, shape, kernel, stride, padding),
        rtol=1e-6,
    )
    for include_pad in (True, False):
        out = fast.avg_pool2d_forward(x, kernel, stride, padding, include_pad)
        expected = reference.avg_pool2d_forward(x, kernel, stride, padding, include_pad)
        assert out.dtype == dtype
        np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(
            fast.avg_pool2d_backward(g, shape, kernel, stride, padding, include_pad),
            reference.avg_pool2d_backward(g, shape, kernel, stride, padding, include_pad),
            rtol=1e-6,
            atol=1e-7,
        )


# ----------------------------------------------------------------- gradients of both twins
@pytest.mark.parametrize("kernels", [fast, reference], ids=["fast", "reference"])
@given(config=conv_configs(max_batch=2, max_channels=2), data=st.data())
def test_conv_gradcheck(kernels, config, data):
    x_shape, w_shape, stride, padding, dilation = config
    x, w = data.draw(float_arrays(x_shape)), data.draw(float_arrays(w_shape))
    b = data.draw(float_arrays((w_shape[0],)))
    check_gradients(
        lambda x, w, b: Conv2d.apply(
            x, w, b, stride=stride, padding=padding, dilation=dilation, kernels=kernels
        ),
        x,
        w,
        b,
    )


@pytest.mark.parametrize("kernels", [fast, reference], ids=["fast", "reference"])
@given(config=pool_configs(), data=st.data())
def test_pool_gradcheck(kernels, config, data):
    shape, kernel, stride, padding = config
    x = data.draw(float_arrays(shape, distinct=True))  # no ties within a window
    check_gradients(
        lambda t: MaxPool2d.apply(
            t, kernel_size=kernel, stride=stride, padding=padding, kernels=kernels
        ),
        x,
    )
    for include_pad in (True, False):
        check_gradients(
            lambda t, c=include_pad: AvgPool2d.apply(
                t,
                kernel_size=kernel,
                stride=stride,
                padding=padding,
                count_include_pad=c,
                kernels=kernels,
            ),
            x,
        )


# ----------------------------------------------------------------- semantics
def test_max_pool_tie_sends_gradient_to_one_element():
    x = tg.Tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0], [[1, 0], [0, 0]])


def test_max_pool_padding_is_minus_infinity():
    x = tg.Tensor(-np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(
        F.max_pool2d(x, 2, stride=1, padding=1).data, -np.ones((1, 1, 3, 3))
    )


def test_avg_pool_padding_counts_zeros_unless_told_otherwise():
    x = tg.Tensor(np.ones((1, 1, 2, 2)))
    with_pad = F.avg_pool2d(x, 2, stride=1, padding=1)
    np.testing.assert_allclose(
        with_pad.data[0, 0], [[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]]
    )
    without = F.avg_pool2d(x, 2, stride=1, padding=1, count_include_pad=False)
    np.testing.assert_allclose(without.data, np.ones((1, 1, 3, 3)))


def test_global_and_adaptive_average_pooling():
    x = tg.Tensor(np.arange(32.0).reshape(1, 2, 4, 4), requires_grad=True)
    out = F.global_avg_pool2d(x)
    assert out.shape == (1, 2, 1, 1)
    np.testing.assert_allclose(out.data.ravel(), [7.5, 23.5])
    out.sum().backward()
    np.testing.assert_allclose(x.grad, np.full((1, 2, 4, 4), 1 / 16))
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x, 2).data[0, 0], [[2.5, 4.5], [10.5, 12.5]])
    with pytest.raises(ValueError, match="adaptive_avg_pool2d: output size 3 must divide"):
        F.adaptive_avg_pool2d(x, 3)


def test_output_size_formula_with_dilation():
    x = tg.zeros(1, 1, 10, 9)
    w = tg.zeros(2, 1, 3, 2)
    out = F.conv2d(x, w, stride=(2, 3), padding=(1, 2), dilation=(2, 1))
    assert out.shape == (1, 2, (10 + 2 - 2 * 2 - 1) // 2 + 1, (9 + 4 - 1 - 1) // 3 + 1)


def test_integer_images_are_convolved_as_float32():
    x = tg.Tensor(np.arange(9, dtype=np.uint8).reshape(1, 1, 3, 3))
    w = tg.Tensor(np.array([[[[0.0, 1], [2, 3]]]], dtype=np.float32))
    out = F.conv2d(x, w)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data[0, 0], [[19, 25], [37, 43]])
    assert F.max_pool2d(x, 2).dtype == np.float32


def test_non_contiguous_input():
    x = np.random.default_rng(0).standard_normal((2, 5, 5, 3)).transpose(0, 3, 1, 2)
    w = np.random.default_rng(1).standard_normal((2, 3, 3, 3))
    out = F.conv2d(tg.Tensor(x), tg.Tensor(w))
    expected, _ = reference.conv2d_forward(np.ascontiguousarray(x), w, (1, 1), (0, 0), (1, 1))
    np.testing.assert_allclose(out.data, expected, rtol=1e-10)


# ----------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: F.conv2d(tg.zeros(28, 28), tg.zeros(6, 1, 5, 5)),
            r"conv2d: input must be 4-D \(N, C, H, W\), got shape \(28, 28\)",
        ),
        (
            lambda: F.conv2d(tg.zeros(1, 1, 28, 28), tg.zeros(6, 5, 5)),
            r"conv2d: weight must be 4-D",
        ),
        (
            lambda: F.conv2d(tg.zeros(64, 3, 28, 28), tg.zeros(6, 1, 5, 5)),
            r"conv2d: input \(64, 3, 28, 28\) has 3 channels but weight \(6, 1, 5, 5\) expects 1",
        ),
        (
            lambda: F.conv2d(tg.zeros(1, 1, 3, 3), tg.zeros(1, 1, 5, 5)),
            r"conv2d: kernel 5x5 .* padded input height is only 3 \(input \(1, 1, 3, 3\)",
        ),
        (
            lambda: F.conv2d(tg.zeros(1, 1, 3, 3), tg.zeros(1, 1, 2, 2), stride=0),
            r"conv2d: stride must be >= 1, got 0",
        ),
        (
            lambda: F.conv2d(tg.zeros(1, 1, 3, 3), tg.zeros(1, 1, 2, 2), padding=-1),
            r"conv2d: padding must be >= 0",
        ),
        (
            lambda: F.conv2d(tg.zeros(1, 1, 3, 3), tg.zeros(1, 1, 2, 2), dilation=(1, 0)),
            r"conv2d: dilation must be >= 1",
        ),
        (
            lambda: F.conv2d(tg.zeros(1, 1, 3, 3), tg.zeros(2, 1, 2, 2), tg.zeros(3)),
            r"conv2d: bias must have shape \(2,\)",
        ),
        (lambda: F.max_pool2d(tg.zeros(1, 4, 4), 2), r"max_pool2d: input must be 4-D"),
        (
            lambda: F.max_pool2d(tg.zeros(1, 1, 4, 4), 0),
            r"max_pool2d: kernel_size must be >= 1, got 0",
        ),
        (
            lambda: F.max_pool2d(tg.zeros(1, 1, 4, 4), 2, stride=0),
            r"max_pool2d: stride must be >= 1",
        ),
        (
            lambda: F.max_pool2d(tg.zeros(1, 1, 1, 1), 3, padding=0),
            r"max_pool2d: kernel 3x3 .* only 1",
        ),
        (
            lambda: F.avg_pool2d(tg.zeros(1, 1, 4, 4), 2, padding=2),
            r"avg_pool2d: padding 2 must be at most half",
        ),
        (
            lambda: F.avg_pool2d(tg.zeros(1, 1, 4, 4), 2.5),
            r"avg_pool2d: kernel_size must be an int",
        ),
    ],
)
def test_bad_input_names_the_op_and_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(data=st.data())
def test_fast_2x2_max_pool_path_equals_reference(dtype, data):
    shape = (
        data.draw(st.integers(1, 2)),
        data.draw(st.integers(1, 3)),
        data.draw(st.integers(2, 7)),
        data.draw(st.integers(2, 7)),
    )
    x = data.draw(float_arrays(shape, dtype=dtype, min_value=-2, max_value=2))
    x = np.round(x)  # many ties
    if data.draw(st.booleans()):
        x.ravel()[data.draw(st.integers(0, x.size - 1))] = np.nan
    out, argmax = fast.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0))
    expected, expected_argmax = reference.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0))
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(argmax, expected_argmax)
