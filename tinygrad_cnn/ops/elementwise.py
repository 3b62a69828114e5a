"""Elementwise ops: each output element depends on the input elements at the same position.

For an elementwise ``out = f(a, b)`` the chain rule is local: ``dL/da = g * df/da`` and
``dL/db = g * df/db``, evaluated elementwise. When ``a`` and ``b`` have different shapes numpy
broadcasts them; the gradient is then summed back to each input's shape by
:func:`~tinygrad_cnn.autograd.unbroadcast`, the one place where that happens.
"""

import numpy as np

from tinygrad_cnn.autograd import Function, unbroadcast


class Add(Function):
    """out = a + b.   d/da = 1, d/db = 1, so dL/da = g and dL/db = g (unbroadcast).

    Worked example: a = [1, 2], b = 10 (broadcast), g = [0.5, 1] gives
    dL/da = [0.5, 1] and dL/db = 0.5 + 1 = 1.5.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = a.shape, b.shape
        return a + b

    @staticmethod
    def backward(ctx, g):
        a_shape, b_shape = ctx.shapes
        return unbroadcast(g, a_shape), unbroadcast(g, b_shape)


class Sub(Function):
    """out = a - b.   dL/da = g, dL/db = -g (unbroadcast).

    Two boolean tensors cannot be subtracted (as in PyTorch): use ``^`` on the numpy arrays,
    or convert with ``.int()`` first.
    """

    @staticmethod
    def forward(ctx, a, b):
        if a.dtype == bool and b.dtype == bool:
            raise TypeError(
                f"sub: cannot subtract two boolean tensors {a.shape} - {b.shape} "
                "(convert them with .int() or .float() first)"
            )
        ctx.shapes = a.shape, b.shape
        return a - b

    @staticmethod
    def backward(ctx, g):
        a_shape, b_shape = ctx.shapes
        return unbroadcast(g, a_shape), unbroadcast(-g, b_shape)


class Mul(Function):
    """out = a * b.   d/da = b, d/db = a: dL/da = g * b, dL/db = g * a (product rule).

    Worked example: a = 3, b = 4, g = 1 gives dL/da = 4, dL/db = 3.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        grad_a = unbroadcast(g * b, a.shape) if ctx.needs_input_grad[0] else None
        grad_b = unbroadcast(g * a, b.shape) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Div(Function):
    """out = a / b.   d/da = 1/b, d/db = -a/b^2 = -out/b.

    Worked example: a = 6, b = 3 (out = 2), g = 1 gives dL/da = 1/3, dL/db = -2/3.
    """

    needs_float = True

    @staticmethod
    def forward(ctx, a, b):
        out = a / b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        grad_a = unbroadcast(g / b, a.shape) if ctx.needs_input_grad[0] else None
        grad_b = unbroadcast(-g * out / b, b.shape) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Neg(Function):
    """out = -a.   dL/da = -g. A boolean tensor cannot be negated (as in PyTorch)."""

    @staticmethod
    def forward(ctx, a):
        if a.dtype == bool:
            raise TypeError(
                f"neg: cannot negate a boolean tensor of shape {a.shape} "
                "(to invert a mask use ~mask.data or mask == False; to count, .int() first)"
            )
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g


class Pow(Function):
    """out = a ** b, with b a tensor or a constant number.

    - d/da a^b = b * a^(b-1) (power rule). Where b == 0 the derivative is 0 (a^0 = 1 is
      constant), also at a = 0 where the formula would give 0 * inf.
    - d/db a^b = a^b * ln(a) (a^b = e^(b ln a)). Defined for a > 0; at a = 0 with b >= 0 we
      use 0 (the limit from the right, as PyTorch does); for a < 0 it is nan.

    Worked example: a = 3, b = 2 (out = 9), g = 1: dL/da = 2 * 3 = 6, dL/db = 9 ln 3 = 9.8875.

    Integers to integer powers stay integers (as PyTorch); a negative integer exponent is
    refused, since 2 ** -1 = 0.5 is no integer (PyTorch refuses it too).
    """

    @staticmethod
    def forward(ctx, a, b):
        if a.dtype.kind in "biu" and b.dtype.kind in "biu" and np.any(b < 0):
            raise ValueError(
                f"pow: integer tensors {a.shape} ({a.dtype}) to negative integer powers are "
                f"not allowed (exponents {b.dtype} {b.shape}); use a float base, e.g. x.float()"
            )
        out = np.power(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        grad_a = grad_b = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if ctx.needs_input_grad[0]:
                local = np.where(b == 0, 0.0, b * np.power(a, b - 1)).astype(a.dtype, copy=False)
                grad_a = unbroadcast(g * local, a.shape)
            if ctx.needs_input_grad[1]:
                log_a = np.where((a == 0) & (b >= 0), 0.0, np.log(a)).astype(b.dtype, copy=False)
                grad_b = unbroadcast(g * out * log_a, b.shape)
        return grad_a, grad_b


class Exp(Function):
    """out = e^a.   d/da e^a = e^a = out, so dL/da = g * out (reusing the forward result)."""

    needs_float = True

    @staticmethod
    def forward(ctx, a):
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


class Log(Function):
    """out = ln a (natural log).   d/da ln a = 1/a, so dL/da = g / a."""

    needs_float = True

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / a


class Sqrt(Function):
    """out = sqrt(a).   d/da a^(1/2) = 1 / (2 sqrt(a)) = 1 / (2 out).

    Worked example: a = 4 (out = 2), g = 1 gives dL/da = 1/4.
    """

    needs_float = True

    @staticmethod
    def forward(ctx, a):
        out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (2 * out)


class Abs(Function):
    """out = |a|.   d/da |a| = sign(a): 1 for a > 0, -1 for a < 0, and 0 at the kink a = 0
    (PyTorch's choice of subgradient)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * np.sign(a)


def _winner_share(a_wins, b_wins, dtype):
    """The share of g that goes to a: 1 where only a wins, 0 where only b does, 1/2 on a tie."""
    a_wins = a_wins.astype(dtype)
    return a_wins / (a_wins + b_wins)


class Maximum(Function):
    """out = max(a, b) elementwise.

    The gradient goes to whichever input is larger: dL/da = g * [a > b], dL/db = g * [b > a].
    On a tie (a == b) it is split in half between them, as in PyTorch. A NaN wins (the output
    is that NaN, a copy of it), so the gradient goes to the NaN input (half each if both are).
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        share_a = _winner_share((a >= b) | np.isnan(a), (b >= a) | np.isnan(b), g.dtype)
        return unbroadcast(g * share_a, a.shape), unbroadcast(g * (1 - share_a), b.shape)


class Minimum(Function):
    """out = min(a, b) elementwise.   dL/da = g * [a < b], dL/db = g * [b < a]; ties split,
    and a NaN wins, as for Maximum."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        share_a = _winner_share((a <= b) | np.isnan(a), (b <= a) | np.isnan(b), g.dtype)
        return unbroadcast(g * share_a, a.shape), unbroadcast(g * (1 - share_a), b.shape)


class Clip(Function):
    """out = min(max(a, min), max): values outside [min, max] are set to the bound.

    Inside the interval out = a (derivative 1); outside it is a constant (derivative 0):
    dL/da = g * [min <= a <= max], bounds included, as PyTorch's clamp.
    """

    @staticmethod
    def forward(ctx, a, min=None, max=None):
        if min is None and max is None:
            raise ValueError("clip: give at least one of min and max")
        ctx.save_for_backward(a)
        ctx.bounds = min, max
        return np.clip(a, min, max).astype(a.dtype, copy=False)  # numpy bounds never widen a

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        low, high = ctx.bounds
        inside = np.ones(a.shape, dtype=bool)
        if low is not None:
            inside &= a >= low
        if high is not None:
            inside &= a <= high
        return g * inside


class Where(Function):
    """out = x where condition else y (condition is boolean and gets no gradient).

    Each output element is a copy of one input element, so the gradient is routed back to it:
    dL/dx = g where condition else 0, dL/dy = g where not condition else 0 (unbroadcast).
    """

    @staticmethod
    def forward(ctx, condition, x, y):
        if condition.dtype != bool:
            raise ValueError(f"where: condition must be boolean, got dtype {condition.dtype}")
        ctx.save_for_backward(condition)
        ctx.shapes = x.shape, y.shape
        return np.where(condition, x, y)

    @staticmethod
    def backward(ctx, g):
        (condition,) = ctx.saved_tensors
        x_shape, y_shape = ctx.shapes
        zero = np.zeros((), dtype=g.dtype)
        grad_x = unbroadcast(np.where(condition, g, zero), x_shape)
        grad_y = unbroadcast(np.where(condition, zero, g), y_shape)
        return None, grad_x, grad_y
