"""Differential tests: random small graphs of ops, run in tinygrad_cnn and in PyTorch at float64.

Each example builds the same graph in both libraries from random float64 leaves (every leaf
requires grad), compares the forward values (rtol 1e-6, atol 1e-9) and then the gradient of
``(out * W).sum()`` (W a fixed non-uniform constant, so each output element has its own weight)
with respect to EVERY leaf. A leaf that PyTorch gives no gradient must get None or zeros here.

What is generated:

- chains of 1 to 4 ops on a tensor of 0 to 3 dims whose sides include 1 and 0 (empty tensors),
  drawn from: elementwise unary ops (neg exp log sqrt abs tanh sigmoid relu leaky_relu clip,
  powers with constant exponents and a constant base), binary ops (add sub mul div pow maximum
  minimum where, and with Python numbers on either side) whose second operand is either the
  tensor itself or a fresh leaf of a shape that broadcasts with it on either side (both may
  stretch), reductions (sum mean max min var logsumexp over None, an axis, negative axes or a
  tuple of axes, with and without keepdims; numpy's and PyTorch's argument names both used),
  softmax and log_softmax, movement (reshape with -1, permute and transpose with negative dims,
  expand, flatten, pad, cat, stack), indexing (slices with negative steps, ints, None,
  Ellipsis, one integer array or boolean mask) and matmul (1-D, 2-D and batched operands,
  batch broadcasting on both sides, the tensor on either side);
- conv2d (stride, padding, dilation as ints or pairs, with and without bias; gradients of
  input, weight and bias; groups are not part of the API), max_pool2d and avg_pool2d (kernel,
  stride, padding, count_include_pad), including batches of size 0;
- losses: cross_entropy (with reductions, label smoothing and some -inf logits), nll_loss,
  mse_loss, l1_loss, binary_cross_entropy (probabilities anywhere in [0, 1], ends included),
  binary_cross_entropy_with_logits (the target is a leaf too).

Where the comparison is ill-defined the inputs make it impossible by construction (no
``assume``): kinks and ties (relu, leaky_relu, abs, clip, maximum, minimum, max, min) are fed
``x + D`` with D a constant of distinct irrational-looking offsets, so an element never sits on
a kink or ties another one (PyTorch and we may break ties differently, and both one-sided
derivatives are valid at a kink); max_pool2d inputs are distinct values; log, sqrt, division and
pow take ``x * x + c`` (c > 0) as the argument that must be positive; exp takes ``3 tanh(x)``;
mean, max, min and logsumexp never reduce over zero elements and var over fewer than two (the
result would be nan or an error in both). l1_loss takes input and target from one array of
distinct values (no kink at x == t).

Indexing follows numpy's rules here and PyTorch's in torch, which differ when an int and an
integer array are separated by a slice (numpy moves the array's axes to the front, PyTorch does
not): the generator never mixes ints with an integer array or a mask. PyTorch has no negative
slice steps: the torch side flips the axis and uses the equivalent positive step.

Profiles (``TINYGRAD_CNN_DIFF_PROFILE``):

- ``ci`` (default): derandomized, so every run checks the same examples; the counts are in
  ``CI_EXAMPLES`` (1140 examples in all) and the file runs in well under a minute on 2 cores;
- ``dev``: 20 times as many examples, random each run, for long local runs, e.g.
  ``TINYGRAD_CNN_DIFF_PROFILE=dev python -m pytest tests/test_differential.py``.

Like tests/test_against_pytorch.py the module is marked ``torch`` and skipped without PyTorch.
"""

import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.functional as TF
from tinygrad_cnn.testing import float_arrays

pytestmark = [
    pytest.mark.torch,  # CI runs these a second time, with PyTorch installed
    # reductions over empty axes of empty tensors: harmless, and the same in both libraries
    pytest.mark.filterwarnings("ignore:var\\(\\). degrees of freedom:UserWarning"),
    pytest.mark.filterwarnings("ignore:divide by zero encountered in log:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning"),
]
torch = pytest.importorskip("torch")
F = torch.nn.functional

RTOL, ATOL = 1e-6, 1e-9

# ----------------------------------------------------------------- profiles
settings.register_profile(
    "differential-ci",
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "differential-dev",
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = os.environ.get("TINYGRAD_CNN_DIFF_PROFILE", "ci")
if PROFILE not in ("ci", "dev"):
    raise ValueError(f"TINYGRAD_CNN_DIFF_PROFILE must be 'ci' or 'dev', got {PROFILE!r}")
DEV_FACTOR = 20

# examples per test in the ci profile (sum: 1140)
CI_EXAMPLES = {
    "elementwise": 150,
    "reductions": 150,
    "movement": 150,
    "indexing": 120,
    "matmul": 100,
    "mixed": 200,
    "conv2d": 60,
    "pools": 60,
    "losses": 150,
}
assert sum(CI_EXAMPLES.values()) == 1140


def examples(name):
    """The settings of one test: its ci count, or DEV_FACTOR times more in the dev profile."""
    count = CI_EXAMPLES[name]
    if PROFILE == "dev":
        return settings(settings.get_profile("differential-dev"), max_examples=count * DEV_FACTOR)
    return settings(settings.get_profile("differential-ci"), max_examples=count)


# ----------------------------------------------------------------- the two libraries
class Ours:
    is_torch = False
    cat = staticmethod(tg.cat)
    stack = staticmethod(tg.stack)
    maximum = staticmethod(tg.maximum)
    minimum = staticmethod(tg.minimum)

    @staticmethod
    def leaf(array):
        return tg.Tensor(array, requires_grad=True)

    @staticmethod
    def const(array):
        return tg.Tensor(np.asarray(array, dtype=np.float64))

    @staticmethod
    def where(mask, x, y):
        return tg.where(tg.Tensor(mask), x, y)

    @staticmethod
    def leaky_relu(x, slope):
        return x.leaky_relu(slope)

    @staticmethod
    def pad(x, pad, value):
        return x.pad(pad, value=value)


class Torch:
    is_torch = True
    cat = staticmethod(torch.cat)
    stack = staticmethod(torch.stack)
    maximum = staticmethod(torch.maximum)
    minimum = staticmethod(torch.minimum)

    @staticmethod
    def leaf(array):
        return torch.tensor(array, dtype=torch.float64, requires_grad=True)

    @staticmethod
    def const(array):
        return torch.tensor(np.asarray(array, dtype=np.float64))

    @staticmethod
    def where(mask, x, y):
        return torch.where(torch.tensor(mask), x, y)

    @staticmethod
    def leaky_relu(x, slope):
        return F.leaky_relu(x, slope)

    @staticmethod
    def pad(x, pad, value):
        return F.pad(x, pad, value=value)


def jitter(shape, salt):
    """Distinct, irrational-looking offsets in [0.027, 0.28) (a golden-ratio sequence)."""
    k = np.arange(math.prod(shape), dtype=np.float64)
    values = (k * 0.6180339887498949 + salt * 0.7548776662466927 + 0.1234567) % 1.0
    return (values * 0.25 + 0.0271828).reshape(shape)


def jittered(L, x, salt=0):
    return x + L.const(jitter(tuple(x.shape), salt))


def output_weights(shape):
    """The constant W of the scalar (out * W).sum() whose gradients are compared."""
    return jitter(shape, 5) * 8 - 1.2


# ----------------------------------------------------------------- comparison
def assert_close(mine, reference, what):
    mine = np.asarray(mine)
    assert mine.shape == reference.shape, f"{what}: shape {mine.shape} != torch {reference.shape}"
    np.testing.assert_allclose(mine, reference, rtol=RTOL, atol=ATOL, err_msg=what)


def run_and_compare(build, leaves):
    """Build ``build(L, *leaf tensors)`` with L = Ours and L = Torch from float64 ``leaves``;
    compare the outputs, then the gradients of (out * W).sum() for every leaf."""
    ours_leaves = [Ours.leaf(a) for a in leaves]
    torch_leaves = [Torch.leaf(a) for a in leaves]
    expected = build(Torch, *torch_leaves)
    out = build(Ours, *ours_leaves)
    reference = expected.detach().numpy()
    assert out.dtype == np.float64, f"output dtype {out.dtype}, expected float64"
    assert_close(out.data, reference, "forward value")
    weights = output_weights(tuple(expected.shape))
    (expected * torch.tensor(weights)).sum().backward()
    (out * Ours.const(weights)).sum().backward()
    for i, (mine, theirs) in enumerate(zip(ours_leaves, torch_leaves)):
        if theirs.grad is None:
            assert mine.grad is None or not np.any(mine.grad), f"leaf {i}: torch has no grad"
        else:
            assert mine.grad is not None, f"leaf {i}: no gradient, torch has one"
            assert_close(mine.grad, theirs.grad.numpy(), f"gradient of leaf {i}")


# ----------------------------------------------------------------- shapes
SIDES = st.sampled_from([2, 3, 1, 4, 2, 3, 1, 0, 2, 3])  # a zero side in one draw of ten
VALUES = dict(min_value=-2.0, max_value=2.0)


def shapes(min_dims=0, max_dims=3):
    return st.lists(SIDES, min_size=min_dims, max_size=max_dims).map(tuple)


@st.composite
def broadcast_partner(draw, shape):
    """A shape that broadcasts with ``shape``, possibly stretching it too (a 1 in ``shape``
    may meet any side) and with fewer or more leading axes."""
    keep = draw(st.integers(0, len(shape)))
    partner = []
    for side in shape[len(shape) - keep :]:
        if side == 1:
            partner.append(draw(SIDES))
        else:
            partner.append(draw(st.sampled_from([side, side, 1])))
    if keep < len(shape):  # fewer axes: the missing leading ones broadcast
        return tuple(partner)
    extra = draw(st.lists(SIDES, max_size=max(0, 3 - len(shape))))
    return tuple(extra) + tuple(partner)


def broadcast_shape(*shapes):
    return tuple(np.broadcast_shapes(*shapes))


# ----------------------------------------------------------------- programs
class Program:
    """A start leaf and a chain of ops; an op may add leaves (the other operand)."""

    def __init__(self):
        self.leaves = []  # float64 arrays
        self.ops = []  # (description, fn(L, x, leaf tensors))

    def __repr__(self):
        leaves = ", ".join(f"np.array({a.tolist()}).reshape({a.shape})" for a in self.leaves)
        steps = " -> ".join(d for d, _ in self.ops)
        return f"Program(leaves [{leaves}]: {steps})"

    def build(self, L, *leaves):
        x = leaves[0]
        for _, fn in self.ops:
            x = fn(L, x, leaves)
        return x


def new_leaf(draw, program, shape):
    program.leaves.append(draw(float_arrays(shape, **VALUES)))
    return len(program.leaves) - 1


UNARY = {
    "neg": lambda L, x: -x,
    "exp": lambda L, x: (x.tanh() * 3).exp(),
    "log": lambda L, x: (x * x + 0.5).log(),
    "sqrt": lambda L, x: (x * x + 0.25).sqrt(),
    "abs": lambda L, x: jittered(L, x).abs(),
    "tanh": lambda L, x: x.tanh(),
    "sigmoid": lambda L, x: x.sigmoid(),
    "relu": lambda L, x: jittered(L, x).relu(),
    "square": lambda L, x: x**2,
    "cube": lambda L, x: x**3,
    "pow 0.5": lambda L, x: (x * x + 0.5) ** 0.5,
    "pow -1.5": lambda L, x: (x * x + 0.5) ** -1.5,
    "rpow": lambda L, x: 2.0 ** x.tanh(),
    "x + 2.5": lambda L, x: x + 2.5,
    "1.5 - x": lambda L, x: 1.5 - x,
    "x * -3": lambda L, x: x * -3,
    "2 * x": lambda L, x: 2 * x,
    "x / 4": lambda L, x: x / 4,
    "2 / x": lambda L, x: 2.0 / (x * x + 0.5),
}

BINARY = {
    "add": lambda L, x, y: x + y,
    "sub": lambda L, x, y: x - y,
    "mul": lambda L, x, y: x * y,
    "div": lambda L, x, y: x / (y * y + 0.5),
    "pow": lambda L, x, y: (x * x + 0.5) ** y.tanh(),
    "maximum": lambda L, x, y: L.maximum(jittered(L, x, 1), jittered(L, y, 2)),
    "minimum": lambda L, x, y: L.minimum(jittered(L, x, 3), jittered(L, y, 4)),
    "method maximum": lambda L, x, y: jittered(L, x, 1).maximum(jittered(L, y, 2)),
}


def elementwise_op(draw, program, shape):
    kind = draw(st.sampled_from(["unary", "unary", "binary", "binary", "leaky", "clip", "where"]))
    if kind == "unary":
        name = draw(st.sampled_from(sorted(UNARY)))
        fn = UNARY[name]
        return name, (lambda L, x, leaves: fn(L, x)), shape
    if kind == "leaky":
        slope = draw(st.sampled_from([0.01, 0.2, 1.5]))
        return (
            f"leaky_relu({slope})",
            lambda L, x, leaves: L.leaky_relu(jittered(L, x), slope),
            shape,
        )
    if kind == "clip":
        low, high = draw(
            st.sampled_from([(-1.0, 1.0), (-0.5, 0.0), (0.0, 0.5), (None, 0.5), (-0.5, None)])
        )
        return (
            f"clip({low}, {high})",
            lambda L, x, leaves: jittered(L, x).clip(low, high),
            shape,
        )
    # binary or where: the other operand is x itself or a fresh leaf
    if draw(st.booleans()) and kind == "binary":
        other, other_shape = None, shape
    else:
        other_shape = draw(broadcast_partner(shape))
        other = new_leaf(draw, program, other_shape)
    out_shape = broadcast_shape(shape, other_shape)

    def operand(x, leaves):
        return x if other is None else leaves[other]

    if kind == "where":
        mask_shape = draw(broadcast_partner(out_shape))
        mask = (jitter(mask_shape, 7) * 37 % 1 < 0.5) ^ draw(st.booleans())
        out_shape = broadcast_shape(out_shape, mask_shape)
        return (
            f"where(mask {mask_shape}, x, leaf {other} {other_shape})",
            lambda L, x, leaves: L.where(mask, x, operand(x, leaves)),
            out_shape,
        )
    name = draw(st.sampled_from(sorted(BINARY)))
    fn = BINARY[name]
    swap = draw(st.booleans())
    label = f"{name}({'y, x' if swap else 'x, y'}), y = {'x' if other is None else other_shape}"
    if swap:
        return label, (lambda L, x, leaves: fn(L, operand(x, leaves), x)), out_shape
    return label, (lambda L, x, leaves: fn(L, x, operand(x, leaves))), out_shape


def reduction_op(draw, program, shape):
    ndim = len(shape)
    name = draw(st.sampled_from(["sum", "mean", "max", "min", "var", "logsumexp", "softmax"]))
    if name == "softmax":
        if ndim == 0:
            return elementwise_op(draw, program, shape)
        axis = draw(st.integers(-ndim, ndim - 1))
        log = draw(st.booleans())
        label = f"{'log_' if log else ''}softmax(dim={axis})"
        if log:
            return label, (lambda L, x, leaves: x.log_softmax(dim=axis)), shape
        return label, (lambda L, x, leaves: x.softmax(dim=axis)), shape
    form = draw(st.sampled_from(["none", "int", "tuple"])) if ndim else "none"
    if form == "none":
        axis, axes = None, tuple(range(ndim))
    elif form == "int":
        axis = draw(st.integers(-ndim, ndim - 1))
        axes = (axis % ndim,)
    else:
        # not (): numpy reduces no axis, PyTorch all of them
        axes = tuple(sorted(draw(st.sets(st.integers(0, ndim - 1), min_size=1, max_size=ndim))))
        axis = tuple(draw(st.sampled_from([a, a - ndim])) for a in axes)
        axis = tuple(draw(st.permutations(axis)))
    count = math.prod(shape[a] for a in axes)
    needed = {"sum": 0, "var": 2}.get(name, 1)
    if count < needed:
        name = "sum"
    keepdims = draw(st.booleans())
    numpy_names = draw(st.booleans())
    correction = draw(st.sampled_from([1, 0])) if name == "var" else None
    kept = [s for i, s in enumerate(shape) if i not in axes]
    out_shape = (
        tuple(1 if i in axes else s for i, s in enumerate(shape)) if keepdims else tuple(kept)
    )
    torch_dim = tuple(range(ndim)) if axis is None else axis

    def fn(L, x, leaves):
        if name in ("max", "min"):
            x = jittered(L, x)
        if L.is_torch:
            method = {"max": "amax", "min": "amin"}.get(name, name)
            kwargs = {"correction": correction} if name == "var" else {}
            return getattr(x, method)(dim=torch_dim, keepdim=keepdims, **kwargs)
        kwargs = {"correction": correction} if name == "var" else {}
        if numpy_names:
            return getattr(x, name)(axis=axis, keepdims=keepdims, **kwargs)
        return getattr(x, name)(dim=axis, keepdim=keepdims, **kwargs)

    extra = f", correction={correction}" if name == "var" else ""
    return f"{name}(axis={axis}, keepdims={keepdims}{extra})", fn, out_shape


def factor_shape(draw, size, ndim):
    """A random shape of ``ndim`` axes holding ``size`` elements."""
    if ndim == 0:
        return ()
    if size == 0:
        shape = [draw(st.integers(0, 3)) for _ in range(ndim)]
        shape[draw(st.integers(0, ndim - 1))] = 0
        return tuple(shape)
    shape = [1] * ndim
    remaining = size
    for p in (2, 3, 5, 7, 11, 13):
        while remaining % p == 0:
            shape[draw(st.integers(0, ndim - 1))] *= p
            remaining //= p
    shape[draw(st.integers(0, ndim - 1))] *= remaining
    return tuple(shape)


def movement_op(draw, program, shape):
    ndim = len(shape)
    size = math.prod(shape)
    choices = ["reshape", "expand", "pad", "flatten", "stack"]
    if ndim >= 1:
        choices += ["permute", "cat", "permute"]
    if ndim >= 2:
        choices += ["transpose"]
    name = draw(st.sampled_from(choices))
    if name == "reshape":
        new_ndim = 0 if size == 1 and draw(st.booleans()) else draw(st.integers(1, 4))
        if size != 1 and new_ndim == 0:
            new_ndim = 1
        new = factor_shape(draw, size, new_ndim)
        target = new
        if size and new and draw(st.booleans()):
            i = draw(st.integers(0, len(new) - 1))
            target = new[:i] + (-1,) + new[i + 1 :]
        # torch wants reshape(()) for a 0-d result; we take both forms
        splat = bool(target) and draw(st.booleans())

        def reshape(L, x, leaves):
            return x.reshape(*target) if splat else x.reshape(target)

        return f"reshape{target}", reshape, new
    if name == "permute":
        perm = draw(st.permutations(range(ndim)))
        dims = tuple(draw(st.sampled_from([d, d - ndim])) for d in perm)
        return (
            f"permute{dims}",
            lambda L, x, leaves: x.permute(*dims),
            tuple(shape[d] for d in perm),
        )
    if name == "transpose":
        d0, d1 = (draw(st.integers(-ndim, ndim - 1)) for _ in range(2))
        new = list(shape)
        new[d0], new[d1] = new[d1], new[d0]
        return f"transpose({d0}, {d1})", (lambda L, x, leaves: x.transpose(d0, d1)), tuple(new)
    if name == "expand":
        lead = tuple(draw(st.lists(SIDES, max_size=max(0, 3 - ndim))))
        target, new = list(lead), list(lead)
        for side in shape:
            size_here = draw(SIDES) if side == 1 else side
            new.append(size_here)
            target.append(-1 if size_here == side and draw(st.booleans()) else size_here)
        target = tuple(target)
        splat = bool(target) and draw(st.booleans())

        def expand(L, x, leaves):
            return x.expand(*target) if splat else x.expand(target)

        return f"expand{target}", expand, tuple(new)
    if name == "flatten":
        if ndim == 0:
            return "flatten()", (lambda L, x, leaves: x.flatten()), (1,)
        start = draw(st.integers(0, ndim - 1))
        end = draw(st.integers(start, ndim - 1))
        new = shape[:start] + (math.prod(shape[start : end + 1]),) + shape[end + 1 :]
        start = draw(st.sampled_from([start, start - ndim]))
        end = draw(st.sampled_from([end, end - ndim]))
        return (
            f"flatten({start}, {end})",
            lambda L, x, leaves: x.flatten(start, end),
            new,
        )
    if name == "pad":
        pairs = draw(st.integers(0, ndim))
        pad = tuple(draw(st.lists(st.integers(0, 2), min_size=2 * pairs, max_size=2 * pairs)))
        value = draw(st.sampled_from([0.0, 0.0, -1.5]))
        new = list(shape)
        for k in range(pairs):
            new[ndim - 1 - k] += pad[2 * k] + pad[2 * k + 1]
        return f"pad({pad}, {value})", (lambda L, x, leaves: L.pad(x, pad, value)), tuple(new)
    if name == "cat":
        axis = draw(st.integers(-ndim, ndim - 1))
        sides = draw(st.lists(st.sampled_from([0, 1, 2]), min_size=1, max_size=2))
        others = []
        new = list(shape)
        for side in sides:
            other = list(shape)
            other[axis] = side
            new[axis] += side
            others.append(new_leaf(draw, program, tuple(other)))
        with_self = draw(st.booleans())
        if with_self:
            new[axis] += shape[axis]
        first = draw(st.booleans())

        def cat(L, x, leaves):
            parts = [leaves[i] for i in others] + ([x] if with_self else [])
            parts = [x] + parts if first else parts + [x]
            return L.cat(parts, dim=axis)

        return f"cat(dim={axis}, sides {sides}, x twice: {with_self})", cat, tuple(new)
    # stack
    axis = draw(st.integers(-ndim - 1, ndim))
    use_self = draw(st.booleans())
    other = None if use_self else new_leaf(draw, program, shape)
    new = list(shape)
    new.insert(axis % (ndim + 1), 2)

    def stack(L, x, leaves):
        y = x * 2 if other is None else leaves[other]
        return L.stack([x, y], dim=axis)

    return f"stack(dim={axis})", stack, tuple(new)


@st.composite
def index_for(draw, shape):
    """(numpy index, torch index, dims torch must flip first, result shape)."""
    ndim = len(shape)
    comps = []  # one per axis of shape: ("full"|"slice"|"int"|"array"|"mask", value)
    advanced_used = False
    for n in shape:
        kinds = ["full", "slice", "slice"]
        if n > 0:
            kinds.append("int")
        if not advanced_used:
            kinds += ["array", "mask"]
        kind = draw(st.sampled_from(kinds))
        if kind == "slice":
            bound = st.one_of(st.none(), st.integers(-n - 1, n + 1))
            step = draw(st.sampled_from([None, 1, 2, -1, -2, 3]))
            comps.append((kind, slice(draw(bound), draw(bound), step)))
        elif kind == "int":
            comps.append((kind, draw(st.integers(-n, n - 1))))
        elif kind == "array":
            advanced_used = True
            arr_shape = draw(st.sampled_from([(0,), (1,), (3,), (2, 2)]))
            if n == 0:
                arr_shape = (0,)
            values = draw(st.lists(st.integers(-n, max(n - 1, 0)), min_size=8, max_size=8))
            arr = np.array(values[: math.prod(arr_shape)], dtype=np.int64).reshape(arr_shape)
            comps.append((kind, arr))
        elif kind == "mask":
            advanced_used = True
            bits = draw(st.lists(st.booleans(), min_size=n, max_size=n))
            comps.append((kind, np.array(bits, dtype=bool)))
        else:
            comps.append((kind, slice(None)))
    if advanced_used:  # numpy and PyTorch place the axes differently with ints present
        comps = [("full", slice(None)) if k == "int" else (k, v) for k, v in comps]
    # an Ellipsis replaces a run of full slices; trailing full slices may be left out
    ellipsis_at = None
    if draw(st.booleans()):
        start = draw(st.integers(0, ndim))
        stop = draw(st.integers(start, ndim))
        comps = comps[:start] + [("full", slice(None))] * (stop - start) + comps[stop:]
        ellipsis_at = (start, stop)
    # result shape and torch's version
    np_parts, torch_parts, flips = [], [], []
    for axis, (kind, value) in enumerate(comps):
        n = shape[axis]
        if kind in ("slice", "full") and value.step is not None and value.step < 0:
            picked = range(n)[value]
            flips.append(axis)
            step = -value.step
            if len(picked) == 0:
                torch_value = slice(0, 0)
            else:
                begin = n - 1 - picked[0]
                torch_value = slice(begin, begin + (len(picked) - 1) * step + 1, step)
        elif kind == "array":
            torch_value = torch.tensor(value)
        elif kind == "mask":
            torch_value = torch.tensor(value)
        else:
            torch_value = value
        np_parts.append(value)
        torch_parts.append(torch_value)
    if ellipsis_at is not None:
        start, stop = ellipsis_at
        np_parts = np_parts[:start] + [Ellipsis] + np_parts[stop:]
        torch_parts = torch_parts[:start] + [Ellipsis] + torch_parts[stop:]
    else:
        while np_parts and comps[len(np_parts) - 1][0] == "full" and draw(st.booleans()):
            np_parts.pop()
            torch_parts.pop()
    # insert None at random positions, the same in both
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(np_parts)))
        np_parts.insert(at, None)
        torch_parts.insert(at, None)
    np_index, torch_index = tuple(np_parts), tuple(torch_parts)
    if len(np_index) == 1 and draw(st.booleans()):  # a bare index, not a 1-tuple
        np_index, torch_index = np_index[0], torch_index[0]
    result = np.empty(shape)[np_index].shape
    return np_index, torch_index, tuple(flips), result


def describe_index(index):
    parts = index if isinstance(index, tuple) else (index,)
    text = []
    for p in parts:
        if isinstance(p, slice):
            text.append(":".join("" if v is None else str(v) for v in (p.start, p.stop, p.step)))
        elif p is None:
            text.append("None")
        elif p is Ellipsis:
            text.append("...")
        elif isinstance(p, np.ndarray):
            text.append(f"np.array({p.tolist()})")
        else:
            text.append(str(p))
    return "[" + ", ".join(text) + ("," if not isinstance(index, tuple) else "") + "]"


def indexing_op(draw, program, shape):
    np_index, torch_index, flips, new = draw(index_for(shape))

    def index(L, x, leaves):
        if L.is_torch:
            return (x.flip(flips) if flips else x)[torch_index]
        return x[np_index]

    return f"getitem{describe_index(np_index)}", index, new


def matmul_op(draw, program, shape):
    ndim = len(shape)
    if ndim == 0:
        return elementwise_op(draw, program, shape)
    x_left = draw(st.booleans())
    k = shape[-1] if x_left else (shape[0] if ndim == 1 else shape[-2])
    other_ndim = draw(st.sampled_from([1, 2, 2, 3]))
    if other_ndim == 1:
        other_shape = (k,)
    else:
        m = draw(SIDES)
        core = (k, m) if x_left else (m, k)
        batch = draw(broadcast_partner(shape[:-2])) if ndim > 2 else ()
        if other_ndim == 3 and not batch:
            batch = (draw(st.sampled_from([1, shape[-3]])) if ndim > 2 else draw(SIDES),)
        other_shape = tuple(batch) + core
    other = new_leaf(draw, program, other_shape)
    a, b = (shape, other_shape) if x_left else (other_shape, shape)
    new = np.matmul(np.empty(a), np.empty(b)).shape
    if x_left:
        return f"x @ leaf {other_shape}", (lambda L, x, leaves: x @ leaves[other]), new
    return f"leaf {other_shape} @ x", (lambda L, x, leaves: leaves[other] @ x), new


CATEGORIES = {
    "elementwise": elementwise_op,
    "reductions": reduction_op,
    "movement": movement_op,
    "indexing": indexing_op,
    "matmul": matmul_op,
}


@st.composite
def programs(draw, categories, max_ops=4):
    program = Program()
    shape = draw(shapes())
    new_leaf(draw, program, shape)
    for _ in range(draw(st.integers(1, max_ops))):
        category = draw(st.sampled_from(categories))
        description, fn, shape = CATEGORIES[category](draw, program, shape)
        program.ops.append((description, fn))
        if math.prod(shape) > 400:  # keep the examples small (a chain of expands may grow)
            program.ops.append(("sum(axis=0)", lambda L, x, leaves: x.sum(dim=0)))
            shape = shape[1:]
    return program


def check_program(program):
    run_and_compare(program.build, program.leaves)


# ----------------------------------------------------------------- graph tests
@examples("elementwise")
@given(programs(["elementwise"]))
def test_elementwise(program):
    check_program(program)


@examples("reductions")
@given(programs(["reductions", "reductions", "elementwise"]))
def test_reductions(program):
    check_program(program)


@examples("movement")
@given(programs(["movement", "movement", "elementwise"]))
def test_movement(program):
    check_program(program)


@examples("indexing")
@given(programs(["indexing", "indexing", "elementwise"], max_ops=3))
def test_indexing(program):
    check_program(program)


@examples("matmul")
@given(programs(["matmul", "matmul", "elementwise"], max_ops=3))
def test_matmul(program):
    check_program(program)


@examples("mixed")
@given(programs(sorted(CATEGORIES), max_ops=5))
def test_mixed(program):
    check_program(program)


# ----------------------------------------------------------------- convolution and pooling
@st.composite
def conv_cases(draw):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    spans = [d * (k - 1) + 1 - 2 * p for d, k, p in zip(dilation, kernel, padding)]
    h, w = (draw(st.integers(max(1, s), max(1, s) + 4)) for s in spans)
    n = draw(st.sampled_from([1, 2, 1, 0]))
    c, f = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    as_pairs = draw(st.booleans())
    args = {}
    for name, value, default in (
        ("stride", stride, 1),
        ("padding", padding, 0),
        ("dilation", dilation, 1),
    ):
        if value[0] == value[1] and not as_pairs:
            value = value[0]
        if value != default or draw(st.booleans()):
            args[name] = value
    named = draw(st.sampled_from([None, None, None, "same", "valid"]))
    if named == "valid":
        args["padding"] = "valid"
        h, w = h + 2 * padding[0], w + 2 * padding[1]  # the same windows fit without padding
    elif named == "same":
        args["padding"] = "same"
        args.pop("stride", None)  # "same" needs stride 1
    leaves = [
        draw(float_arrays((n, c, h, w), **VALUES)),
        draw(float_arrays((f, c) + kernel, **VALUES)),
    ]
    if draw(st.booleans()):
        leaves.append(draw(float_arrays((f,), **VALUES)))
    return leaves, args


@examples("conv2d")
@given(conv_cases())
def test_conv2d(case):
    """Values and the gradients of input, weight and (if any) bias; stride, padding and
    dilation as ints or pairs, padding also "same" or "valid". No ``groups``: our conv2d has
    none."""
    leaves, args = case

    def build(L, x, weight, bias=None):
        if L.is_torch:
            return F.conv2d(x, weight, bias, **args)
        return TF.conv2d(x, weight, bias, **args)

    run_and_compare(build, leaves)


@st.composite
def pool_cases(draw):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    h, w = (draw(st.integers(max(1, k - 2 * p), 6)) for k, p in zip(kernel, padding))
    n, c = draw(st.sampled_from([1, 2, 1, 0])), draw(st.integers(1, 2))
    kind = draw(st.sampled_from(["max", "avg", "avg_no_pad_count"]))
    x = draw(float_arrays((n, c, h, w), distinct=True, min_value=-2.0, max_value=2.0, min_gap=1e-4))
    args = {"kernel_size": kernel if kernel[0] != kernel[1] else kernel[0], "padding": padding}
    if stride is not None:
        args["stride"] = stride
    if kind != "max":
        args["count_include_pad"] = kind == "avg"
    if draw(st.booleans()):
        args["ceil_mode"] = draw(st.booleans())
    return kind, x, args


@examples("pools")
@given(pool_cases())
def test_pools(case):
    """max_pool2d (distinct inputs: no ties) and avg_pool2d with both count_include_pad,
    with and without ceil_mode."""
    kind, x, args = case
    name = "max_pool2d" if kind == "max" else "avg_pool2d"

    def build(L, x):
        return getattr(F if L.is_torch else TF, name)(x, **args)

    run_and_compare(build, [x])


# ----------------------------------------------------------------- losses
@st.composite
def loss_cases(draw):
    """(description, build, leaves)."""
    loss = draw(
        st.sampled_from(["cross_entropy", "nll_loss", "mse", "l1", "bce", "bce_with_logits"])
    )
    reduction = draw(st.sampled_from(["mean", "sum", "none"]))
    if loss in ("cross_entropy", "nll_loss"):
        n = draw(st.integers(0 if reduction != "mean" else 1, 4))
        classes = draw(st.integers(1, 4))
        logits = draw(float_arrays((n, classes), min_value=-4.0, max_value=4.0))
        target = np.array(
            draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)), dtype=np.int64
        )
        smoothing = 0.0
        if loss == "cross_entropy":
            smoothing = draw(st.sampled_from([0.0, 0.0, 0.1]))
        if classes > 1 and n and draw(st.integers(0, 2)) == 0:  # a -inf logit, not y's
            row = draw(st.integers(0, n - 1))
            col = (target[row] + draw(st.integers(1, classes - 1))) % classes
            logits[row, col] = -np.inf  # (with label smoothing the loss is inf in both)

        def build(L, z):
            t = torch.tensor(target) if L.is_torch else tg.Tensor(target)
            if loss == "nll_loss":
                z = z.log_softmax(dim=1)
                return (F if L.is_torch else TF).nll_loss(z, t, reduction=reduction)
            if L.is_torch:
                return F.cross_entropy(z, t, reduction=reduction, label_smoothing=smoothing)
            return TF.cross_entropy(z, t, reduction=reduction, label_smoothing=smoothing)

        label = f"{loss}(logits {logits.tolist()}, target {target.tolist()}, {reduction}"
        return label + f", smoothing {smoothing})", build, [logits]
    shape = draw(shapes(min_dims=0, max_dims=3))
    if reduction == "mean" and math.prod(shape) == 0:
        reduction = "sum"
    if loss == "l1":  # input and target from one distinct array: never x == t
        both = (
            draw(float_arrays((2,) + shape, distinct=True, **VALUES)) if math.prod(shape) else None
        )
        leaves = [both[0], both[1]] if both is not None else [np.zeros(shape)] * 2
    elif loss == "bce":
        unit = st.floats(0.0, 1.0, allow_subnormal=False)
        probs = draw(st.lists(unit, min_size=math.prod(shape), max_size=math.prod(shape)))
        leaves = [np.array(probs, dtype=np.float64).reshape(shape)]
        target = draw(float_arrays(shape, min_value=0.0, max_value=1.0))
    elif loss == "bce_with_logits":
        leaves = [
            draw(float_arrays(shape, min_value=-5.0, max_value=5.0)),
            draw(float_arrays(shape, min_value=0.0, max_value=1.0)),
        ]
    else:
        leaves = [draw(float_arrays(shape, **VALUES)), draw(float_arrays(shape, **VALUES))]

    def build(L, x, t=None):
        if loss == "bce":
            t = L.const(target)
            fn = F.binary_cross_entropy if L.is_torch else TF.binary_cross_entropy
        else:
            fn = {
                "mse": "mse_loss",
                "l1": "l1_loss",
                "bce_with_logits": "binary_cross_entropy_with_logits",
            }[loss]
            fn = getattr(F if L.is_torch else TF, fn)
        return fn(x, t, reduction=reduction)

    return f"{loss}(shape {shape}, {reduction})", build, leaves


@examples("losses")
@given(loss_cases())
def test_losses(case):
    """Loss values and gradients of every leaf: logits, inputs and (except for
    binary_cross_entropy, whose target PyTorch cannot differentiate) targets."""
    _, build, leaves = case
    run_and_compare(build, leaves)
