"""Reductions: sum, mean, max, min, var over one axis, several, or all (``axis=None``).

The shared backward idea: a reduction maps many input elements to one output element, so the
incoming gradient ``g`` has the reduced shape. We first put the reduced axes back as size 1
(``_expand``) and then broadcast ``g`` against the input: every input element receives the
gradient of the output element it was reduced into, times its local derivative.
"""

import numpy as np

from tinygrad_cnn.autograd import Function
from tinygrad_cnn.ops.axes import normalize_axes


def _expand(g, axes, keepdims):
    """Re-insert the reduced axes of ``g`` as size 1, so it broadcasts against the input."""
    return g if keepdims else np.expand_dims(g, axes)


class Sum(Function):
    """out = sum of a over ``axis``.   d out / d a_i = 1 for every summed element:
    dL/da = g copied (broadcast) to every element that was summed.

    Worked example: a = [[1, 2], [3, 4]], axis=1 gives [3, 7]; g = [10, 20] gives
    dL/da = [[10, 10], [20, 20]].
    """

    settings = ("axes", "keepdims")

    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        ctx.axes = normalize_axes(axis, a.ndim, "sum")
        ctx.keepdims, ctx.shape = keepdims, a.shape
        return np.sum(a, axis=ctx.axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        return np.broadcast_to(_expand(g, ctx.axes, ctx.keepdims), ctx.shape)


class Mean(Function):
    """out = (1/N) * sum of a over ``axis``, N = number of elements reduced into each output.
    dL/da = g / N, broadcast to every element that was averaged."""

    needs_float = True
    settings = ("axes", "keepdims")

    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        ctx.axes = normalize_axes(axis, a.ndim, "mean")
        ctx.keepdims, ctx.shape = keepdims, a.shape
        ctx.count = int(np.prod([a.shape[i] for i in ctx.axes]))
        return np.mean(a, axis=ctx.axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        return np.broadcast_to(_expand(g, ctx.axes, ctx.keepdims) / ctx.count, ctx.shape)


class _Extremum(Function):
    """Shared by Max and Min, which differ only in the numpy function ``pick``.

    out = max (or min) of a over ``axis``. The output equals one input element, so the
    derivative is 1 for the element that was picked and 0 for the others. When several
    elements tie for the extreme value, the gradient is split evenly among them (the
    subgradient PyTorch's ``amax``/``amin`` use):
    dL/da_i = g * [a_i == out] / (number of elements equal to out).

    A NaN is the extreme (numpy's max and min propagate it), so the gradient goes to the
    NaN elements, split evenly among them (PyTorch's ``max()`` does the same).

    Worked example: a = [1, 5, 5], max gives 5; g = 1 gives dL/da = [0, 0.5, 0.5].
    """

    pick = None
    settings = ("axes", "keepdims")

    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        ctx.axes, ctx.keepdims = normalize_axes(axis, a.ndim, ctx.name), keepdims
        if any(a.shape[i] == 0 for i in ctx.axes):
            raise ValueError(
                f"{ctx.name}: cannot reduce an empty axis of a tensor of shape {a.shape}"
            )
        out = ctx.pick(a, axis=ctx.axes, keepdims=keepdims)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        out = _expand(out, ctx.axes, ctx.keepdims)
        is_extreme = (a == out) | np.isnan(a)
        ties = np.sum(is_extreme, axis=ctx.axes, keepdims=True, dtype=g.dtype)
        return _expand(g, ctx.axes, ctx.keepdims) * is_extreme / ties


class Max(_Extremum):
    __doc__ = _Extremum.__doc__
    pick = staticmethod(np.max)


class Min(_Extremum):
    __doc__ = _Extremum.__doc__
    pick = staticmethod(np.min)


class Var(Function):
    """out = sum_i (a_i - m)^2 / (N - correction), m the mean over ``axis``.

    ``correction=1`` (PyTorch's default) is the unbiased estimate; 0 gives numpy's default.

    Derivative: d out / d a_j = [2 (a_j - m) - 2 sum_i (a_i - m) * dm/da_j] / (N - correction),
    and the second term vanishes because sum_i (a_i - m) = 0. So
    dL/da = g * 2 (a - m) / (N - correction).

    Worked example: a = [1, 3], correction=1: m = 2, out = (1 + 1) / 1 = 2;
    g = 1 gives dL/da = [2 * -1, 2 * 1] / 1 = [-2, 2].
    """

    needs_float = True
    settings = ("axes", "keepdims")

    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False, correction=1):
        ctx.axes, ctx.keepdims = normalize_axes(axis, a.ndim, "var"), keepdims
        count = int(np.prod([a.shape[i] for i in ctx.axes]))
        if count - correction <= 0:
            raise ValueError(
                f"var: reducing {count} element(s) of a tensor of shape {a.shape} with "
                f"correction={correction} divides by {count - correction}"
            )
        ctx.centered = a - np.mean(a, axis=ctx.axes, keepdims=True)
        ctx.divisor = count - correction
        return np.sum(ctx.centered**2, axis=ctx.axes, keepdims=keepdims) / ctx.divisor

    @staticmethod
    def backward(ctx, g):
        return _expand(g, ctx.axes, ctx.keepdims) * (2 / ctx.divisor) * ctx.centered
