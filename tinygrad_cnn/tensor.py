"""Tensor: a numpy array, its gradient, and the link to the op that made it.

A Tensor holds

- ``data``: the numpy array of values;
- ``grad``: a numpy array of the same shape once ``backward`` reached it (leaves only), else None;
- ``requires_grad``: whether gradients should flow to it;
- ``_ctx``: the :class:`~tinygrad_cnn.autograd.Function` node that produced it (None for leaves
  and for tensors that need no gradient, which therefore keep no graph).

Every method below is a one-liner that calls an op's ``Function.apply``; the op's module holds
its forward, its backward and the derivation. Python numbers and numpy arrays mixed into an
expression become constant tensors first (``_operands``), in the dtype given by PyTorch's
promotion rule (``result_dtype``; the table is in docs/ops.md).

dtypes follow the contract in DESIGN.md: Python floats and float lists become float32, numpy
arrays keep their float dtype (float64 stays float64), integer data keeps an integer dtype
(class labels), and ``dtype=`` overrides. Only floating-point tensors can require gradients.
"""

import numpy as np

from tinygrad_cnn import autograd, rng
from tinygrad_cnn.ops import activation, cast, elementwise, matmul, movement, reduce, softmax

DEFAULT_DTYPE = np.float32


def _to_array(data, dtype):
    """Copy ``data`` into a fresh numpy array with the dtype rules of the contract."""
    if isinstance(data, Tensor):
        data = data.data
    try:
        array = np.array(data, dtype=dtype)
    except ValueError as err:  # numpy: "setting an array element with a sequence..."
        raise ValueError(f"Tensor: cannot make a tensor from {data!r:.60}: {err}") from None
    if dtype is not None:
        return array
    if array.dtype.kind == "f" and not isinstance(data, (np.ndarray, np.generic)):
        return array.astype(DEFAULT_DTYPE)
    if array.dtype.kind not in "fiub":
        raise ValueError(
            f"Tensor: cannot make a tensor from data of dtype {array.dtype} "
            "(expected numbers: floats, integers or booleans)"
        )
    return array


def _check_can_require_grad(array):
    if array.dtype.kind != "f":
        raise ValueError(
            f"requires_grad: only floating-point tensors can require gradients, "
            f"got a {array.dtype} tensor of shape {array.shape} (convert with dtype=np.float32)"
        )


def axis_or_dim(op, axis, dim, default=None):
    """numpy's ``axis`` and PyTorch's ``dim`` are two names of one argument: take either.

    None means "not given", so the op's ``default`` applies (all axes for a reduction).
    """
    if axis is not None and dim is not None:
        raise TypeError(
            f"{op}: got both axis={axis!r} and dim={dim!r}; they are one argument "
            "(axis is numpy's name, dim PyTorch's): pass only one"
        )
    chosen = axis if dim is None else dim
    return default if chosen is None else chosen


def _keepdims_arg(op, keepdims, keepdim):
    """numpy's ``keepdims`` and PyTorch's ``keepdim``, likewise (default False)."""
    if keepdims is not None and keepdim is not None:
        raise TypeError(
            f"{op}: got both keepdims={keepdims!r} and keepdim={keepdim!r}; they are one "
            "argument (keepdims is numpy's name, keepdim PyTorch's): pass only one"
        )
    return bool(keepdims if keepdim is None else keepdim)


def _shape_from_args(shape):
    """Accept both ``zeros(2, 3)`` and ``zeros((2, 3))``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


class Tensor:
    __slots__ = ("data", "grad", "_requires_grad", "_ctx", "__weakref__")

    # numpy defers to our reflected operators: np.ones(3) + t calls t.__radd__
    __array_ufunc__ = None

    def __init__(self, data, requires_grad=False, dtype=None):
        self.data = _to_array(data, dtype)
        if requires_grad:
            _check_can_require_grad(self.data)
        self.grad = None
        self._requires_grad = bool(requires_grad)
        self._ctx = None

    @staticmethod
    def _make(data, requires_grad, ctx):
        """Wrap an op's result without copying or checking (used by Function.apply)."""
        tensor = Tensor.__new__(Tensor)
        tensor.data = data
        tensor.grad = None
        tensor._requires_grad = requires_grad
        tensor._ctx = ctx
        return tensor

    # ----------------------------------------------------------------- attributes
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if value:
            _check_can_require_grad(self.data)
        self._requires_grad = bool(value)

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    def size(self, dim=None):
        """The shape, or the length of axis ``dim`` (PyTorch's ``size``)."""
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self):
        """Number of elements."""
        return self.data.size

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def T(self):
        """All axes reversed (the usual transpose for a matrix)."""
        return self.permute(*reversed(range(self.ndim)))

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extras = ""
        if self.data.dtype != DEFAULT_DTYPE:
            extras += f", dtype={self.data.dtype}"
        if self._requires_grad:
            extras += ", requires_grad=True"
        return f"Tensor({body}{extras})"

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __bool__(self):
        return bool(self.data)  # numpy's rule: only for a single element

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def numpy(self):
        """The underlying numpy array (shared, not copied)."""
        return self.data

    def tolist(self):
        """The values as (nested) Python lists of Python numbers; a 0-d tensor gives a number."""
        return self.data.tolist()

    # dtype conversions with PyTorch's names; each returns self when the dtype already matches
    def to(self, dtype):
        """The same values in ``dtype`` (e.g. ``np.float64``). Between floating-point dtypes
        the gradient flows (converted back); an integer or boolean result has no gradient, as
        in PyTorch. Devices do not exist here: everything runs on the CPU, in numpy."""
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(
                f"to: expected a dtype such as np.float64, got {dtype!r} "
                "(there are no devices: tensors live in numpy, on the CPU)"
            ) from None
        if dtype == self.data.dtype:
            return self
        if dtype.kind == "f" and self.data.dtype.kind == "f":
            return cast.Cast.apply(self, dtype=dtype)
        return Tensor._make(self.data.astype(dtype), False, None)

    def float(self):
        """float32 (``torch.float``)."""
        return self.to(np.float32)

    def double(self):
        """float64 (``torch.double``)."""
        return self.to(np.float64)

    def long(self):
        """int64 (``torch.long``): class labels; floats are truncated towards zero."""
        return self.to(np.int64)

    def int(self):
        """int32 (``torch.int``); floats are truncated towards zero."""
        return self.to(np.int32)

    def bool(self):
        """Booleans: True where non-zero."""
        return self.to(np.bool_)

    def item(self):
        if self.data.size != 1:
            raise ValueError(
                f"item: tensor of shape {self.shape} has {self.data.size} elements, need exactly 1"
            )
        return self.data.item()

    def detach(self):
        """A new leaf sharing this tensor's data, cut off from the graph (no gradient flows)."""
        return Tensor._make(self.data, False, None)

    def backward(self, grad=None, retain_graph=None):
        """Compute d(self)/d(leaf) for every leaf that requires a gradient; add it to ``.grad``.

        ``grad`` is dL/d(self); it may be omitted only when self has exactly one element
        (then it is 1). Gradients accumulate: call ``zero_grad`` (or set ``.grad = None``)
        between steps. ``retain_graph`` is accepted for PyTorch's habit and changes nothing:
        the graph is always kept (nothing is freed), so a second backward always works.
        """
        if not self._requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad and has no graph "
                "(was it computed under no_grad(), or from tensors without requires_grad=True?)"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: grad can be omitted only for a single-element output; this "
                    f"output has shape {self.shape}, so pass grad of that shape"
                )
            grad = np.ones_like(self.data)
        else:
            grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad, self.data.dtype)
            if grad.shape != self.shape:
                raise RuntimeError(
                    f"backward: grad has shape {grad.shape} but the output has shape {self.shape}"
                )
        autograd.backward(self, grad)

    # ----------------------------------------------------------------- arithmetic
    def __add__(self, other):
        return elementwise.Add.apply(*_operands(self, other, "add"))

    def __radd__(self, other):
        return elementwise.Add.apply(*_operands(other, self, "add"))

    def __sub__(self, other):
        return elementwise.Sub.apply(*_operands(self, other, "sub"))

    def __rsub__(self, other):
        return elementwise.Sub.apply(*_operands(other, self, "sub"))

    def __mul__(self, other):
        return elementwise.Mul.apply(*_operands(self, other, "mul"))

    def __rmul__(self, other):
        return elementwise.Mul.apply(*_operands(other, self, "mul"))

    def __truediv__(self, other):
        return elementwise.Div.apply(*_operands(self, other, "div"))

    def __rtruediv__(self, other):
        return elementwise.Div.apply(*_operands(other, self, "div"))

    def __pow__(self, exponent):
        return elementwise.Pow.apply(*_operands(self, exponent, "pow"))

    def __rpow__(self, base):
        return elementwise.Pow.apply(*_operands(base, self, "pow"))

    def __neg__(self):
        return elementwise.Neg.apply(self)

    def __matmul__(self, other):
        return matmul.Matmul.apply(*_operands(self, other, "matmul"))

    def __rmatmul__(self, other):
        return matmul.Matmul.apply(*_operands(other, self, "matmul"))

    # Comparisons give boolean tensors without gradient (masks, accuracy).
    def __eq__(self, other):
        return _compare(self, other, np.equal)

    def __ne__(self, other):
        return _compare(self, other, np.not_equal)

    def __lt__(self, other):
        return _compare(self, other, np.less)

    def __le__(self, other):
        return _compare(self, other, np.less_equal)

    def __gt__(self, other):
        return _compare(self, other, np.greater)

    def __ge__(self, other):
        return _compare(self, other, np.greater_equal)

    __hash__ = object.__hash__  # tensors are hashed by identity, as in PyTorch

    # ----------------------------------------------------------------- elementwise
    def exp(self):
        return elementwise.Exp.apply(self)

    def log(self):
        return elementwise.Log.apply(self)

    def sqrt(self):
        return elementwise.Sqrt.apply(self)

    def abs(self):
        return elementwise.Abs.apply(self)

    def maximum(self, other):
        return elementwise.Maximum.apply(*_operands(self, other, "maximum"))

    def minimum(self, other):
        return elementwise.Minimum.apply(*_operands(self, other, "minimum"))

    def clip(self, min=None, max=None):
        """Values below ``min`` set to it, above ``max`` likewise (an int tensor with a float
        bound becomes float32, as by the promotion table)."""
        bounds = [bound for bound in (min, max) if bound is not None]
        x = self.to(result_dtype(self, *bounds)) if bounds else self
        return elementwise.Clip.apply(x, min=min, max=max)

    def relu(self):
        return activation.Relu.apply(self)

    def leaky_relu(self, negative_slope=0.01):
        return activation.LeakyRelu.apply(self, negative_slope=negative_slope)

    def sigmoid(self):
        return activation.Sigmoid.apply(self)

    def tanh(self):
        return activation.Tanh.apply(self)

    # ----------------------------------------------------------------- reductions
    # Each takes numpy's names (axis, keepdims) or PyTorch's (dim, keepdim): one meaning.
    def sum(self, axis=None, keepdims=None, *, dim=None, keepdim=None):
        """Sum over ``axis`` (None: all axes; an int or a tuple), keeping the reduced axes
        as size 1 if ``keepdims``. ``dim``/``keepdim`` are accepted for ``axis``/``keepdims``."""
        return reduce.Sum.apply(
            self,
            axis=axis_or_dim("sum", axis, dim),
            keepdims=_keepdims_arg("sum", keepdims, keepdim),
        )

    def mean(self, axis=None, keepdims=None, *, dim=None, keepdim=None):
        return reduce.Mean.apply(
            self,
            axis=axis_or_dim("mean", axis, dim),
            keepdims=_keepdims_arg("mean", keepdims, keepdim),
        )

    def max(self, axis=None, keepdims=None, *, dim=None, keepdim=None):
        """The largest values, numpy style: values only, also with ``dim=`` (unlike
        ``torch.max(x, dim)``, which also returns the indices; use ``argmax`` for those)."""
        return reduce.Max.apply(
            self,
            axis=axis_or_dim("max", axis, dim),
            keepdims=_keepdims_arg("max", keepdims, keepdim),
        )

    def min(self, axis=None, keepdims=None, *, dim=None, keepdim=None):
        """The smallest values (values only, as ``max``; ``argmin`` gives the indices)."""
        return reduce.Min.apply(
            self,
            axis=axis_or_dim("min", axis, dim),
            keepdims=_keepdims_arg("min", keepdims, keepdim),
        )

    def var(self, axis=None, keepdims=None, correction=1, *, dim=None, keepdim=None):
        """Variance with PyTorch's default ``correction=1`` (unbiased); 0 gives numpy's."""
        return reduce.Var.apply(
            self,
            axis=axis_or_dim("var", axis, dim),
            keepdims=_keepdims_arg("var", keepdims, keepdim),
            correction=correction,
        )

    def argmax(self, axis=None, keepdims=None, *, dim=None, keepdim=None):
        """Indices of the largest values (an integer tensor, no gradient)."""
        axis = axis_or_dim("argmax", axis, dim)
        keepdims = _keepdims_arg("argmax", keepdims, keepdim)
        return Tensor._make(np.argmax(self.data, axis=axis, keepdims=keepdims), False, None)

    def argmin(self, axis=None, keepdims=None, *, dim=None, keepdim=None):
        axis = axis_or_dim("argmin", axis, dim)
        keepdims = _keepdims_arg("argmin", keepdims, keepdim)
        return Tensor._make(np.argmin(self.data, axis=axis, keepdims=keepdims), False, None)

    def softmax(self, axis=None, *, dim=None):
        """Softmax along ``axis`` (or ``dim``); default the last axis."""
        axis = axis_or_dim("softmax", axis, dim, default=-1)
        if self.ndim == 0 and axis in (0, -1):  # as PyTorch: a row of one element, so 1
            return self.reshape(1).softmax(0).reshape(())
        return softmax.Softmax.apply(self, axis=axis)

    def log_softmax(self, axis=None, *, dim=None):
        """log(softmax) along ``axis`` (or ``dim``); default the last axis."""
        axis = axis_or_dim("log_softmax", axis, dim, default=-1)
        if self.ndim == 0 and axis in (0, -1):  # as PyTorch: a row of one element, so 0
            return self.reshape(1).log_softmax(0).reshape(())
        return softmax.LogSoftmax.apply(self, axis=axis)

    def logsumexp(self, axis=None, keepdims=None, *, dim=None, keepdim=None):
        return softmax.LogSumExp.apply(
            self,
            axis=axis_or_dim("logsumexp", axis, dim),
            keepdims=_keepdims_arg("logsumexp", keepdims, keepdim),
        )

    # ----------------------------------------------------------------- movement
    def reshape(self, *shape):
        return movement.Reshape.apply(self, shape=_shape_from_args(shape))

    def view(self, *shape):
        return self.reshape(*shape)

    def permute(self, *dims):
        return movement.Permute.apply(self, dims=_shape_from_args(dims))

    def transpose(self, dim0=-2, dim1=-1):
        """Swap two axes (PyTorch's meaning; ``permute`` reorders all of them)."""
        return movement.Permute.apply(self, dims=movement.swapped_axes(self.ndim, dim0, dim1))

    def flatten(self, start_dim=0, end_dim=-1):
        return movement.Reshape.apply(
            self, shape=movement.flattened_shape(self.shape, start_dim, end_dim)
        )

    def expand(self, *shape):
        return movement.Expand.apply(self, shape=_shape_from_args(shape))

    def broadcast_to(self, *shape):
        return self.expand(*shape)

    def pad(self, pad, value=0.0):
        """Constant padding, PyTorch's ``F.pad`` order: (left, right) of the last axis, then
        (top, bottom) of the one before, ... e.g. ``x.pad((1, 1, 2, 2))`` on an image."""
        return movement.Pad.apply(self, pad=tuple(pad), value=value)

    def __getitem__(self, index):
        return movement.GetItem.apply(self, index=_index_arrays(index))


def _index_arrays(index):
    """Turn Tensors and lists inside an index into numpy arrays (numpy does the rest)."""
    parts = index if isinstance(index, tuple) else (index,)
    converted = []
    for part in parts:
        if isinstance(part, Tensor):  # a Tensor of indices or a mask
            part = part.data
        elif isinstance(part, list):
            part = np.asarray(part)
        converted.append(part)
    return tuple(converted)


# ----------------------------------------------------------------- functions of several tensors
def maximum(a, b):
    return elementwise.Maximum.apply(*_operands(a, b, "maximum"))


def minimum(a, b):
    return elementwise.Minimum.apply(*_operands(a, b, "minimum"))


def where(condition, x, y):
    """``x`` where ``condition`` is true, else ``y`` (condition: boolean tensor or array)."""
    condition = condition if isinstance(condition, Tensor) else Tensor(condition)
    return elementwise.Where.apply(condition, *_operands(x, y, "where"))


def concatenate(tensors, axis=None, *, dim=None):
    """Join tensors along an existing axis (``axis`` or ``dim``, default 0; ``cat`` is the
    same function)."""
    axis = axis_or_dim("concatenate", axis, dim, default=0)
    return movement.Concatenate.apply(*_as_tensors(tensors, "concatenate"), axis=axis)


cat = concatenate


def stack(tensors, axis=None, *, dim=None):
    """Join tensors of equal shape along a new axis (``axis`` or ``dim``, default 0)."""
    axis = axis_or_dim("stack", axis, dim, default=0)
    return movement.Stack.apply(*_as_tensors(tensors, "stack"), axis=axis)


# ----------------------------------------------------------------- operands and dtype promotion
#: bool < integer < floating point: the categories of PyTorch's promotion rule
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}
_NUMBERS = (bool, int, float, np.bool_, np.number)


def _number_dtype(value):
    """The dtype a Python number stands for: bool, int64 or float32 (the default float)."""
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(value, (int, np.integer)):
        return np.dtype(np.int64)
    return np.dtype(DEFAULT_DTYPE)


def result_dtype(*operands):
    """The dtype that operands (Tensors and Python numbers) meet in: PyTorch's rule.

    The highest category present wins (bool < integer < float). Within it, a tensor with
    dimensions outranks a 0-d tensor, which outranks a Python number, and only the operands of
    the winning rank are promoted against each other (float32 with float64 gives float64).
    So a float32 tensor stays float32 against int or bool tensors, Python numbers and 0-d
    tensors; a Python float meeting an integer tensor gives float32.
    """
    ranked = []
    for x in operands:
        if isinstance(x, Tensor):
            dtype, rank = x.dtype, 2 if x.ndim else 1
        else:
            dtype, rank = _number_dtype(x), 0
        ranked.append((_CATEGORY[dtype.kind], rank, dtype))
    top = max(ranked, key=lambda r: r[:2])[:2]
    return np.result_type(*(dtype for *key, dtype in ranked if tuple(key) == top))


def _operand(value, op):
    """A Tensor, or a Python number kept as such (it is ranked apart, see result_dtype)."""
    if isinstance(value, (Tensor, _NUMBERS)):
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind in _CATEGORY:
        return Tensor._make(value, False, None)
    if isinstance(value, (list, tuple)):
        return Tensor(value)
    raise TypeError(
        f"{op}: cannot combine a Tensor with {type(value).__name__} {value!r:.40} "
        "(expected a Tensor, a numpy array of numbers or a Python number)"
    )


def _in_dtype(x, dtype):
    if isinstance(x, Tensor):
        return x.to(dtype)  # between floats a Cast node, so the gradient flows back
    return Tensor._make(np.array(x, dtype=dtype), False, None)


def _operands(a, b, op):
    """``a`` and ``b`` (Tensors, numpy arrays, lists or numbers) as Tensors of one dtype."""
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.dtype == b.dtype:
        return a, b  # the common case, without the ranking
    a, b = _operand(a, op), _operand(b, op)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor(a)
    dtype = result_dtype(a, b)
    try:
        return _in_dtype(a, dtype), _in_dtype(b, dtype)
    except OverflowError as err:  # a Python int too large for the tensor's integer dtype
        raise ValueError(
            f"{op}: {err}; convert the tensor to a wider dtype first (e.g. .long())"
        ) from None


def _compare(a, b, compare):
    """A boolean tensor without gradient (masks, accuracy); other types are not comparable."""
    try:
        a, b = _operands(a, b, compare.__name__)
    except TypeError:
        return NotImplemented  # Python then answers == and != by identity, < with a TypeError
    return Tensor._make(compare(a.data, b.data), False, None)


def _as_tensors(tensors, op):
    """The tensors in their common dtype (the promotion rule of result_dtype)."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors")
    dtype = result_dtype(*tensors)
    return [_in_dtype(t, dtype) for t in tensors]


# ----------------------------------------------------------------- factories
def tensor(data, requires_grad=False, dtype=None):
    """PyTorch's ``torch.tensor``: a new tensor holding a copy of ``data``; the same as
    ``Tensor(data, requires_grad, dtype)`` (Python floats become float32, numpy arrays keep
    their dtype, integers stay integers)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def from_numpy(array):
    """A tensor that shares ``array``'s memory, as ``torch.from_numpy``: no copy, the dtype
    kept (float64 stays float64), and a change to one is seen in the other (an optimizer
    updating a parameter made from it writes into ``array``). ``tensor`` copies instead."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy array, got {type(array).__name__}")
    if array.dtype.kind not in "fiub":
        raise ValueError(
            f"from_numpy: cannot share an array of dtype {array.dtype} "
            "(expected numbers: floats, integers or booleans)"
        )
    return Tensor._make(array, False, None)


def zeros(*shape, dtype=DEFAULT_DTYPE, requires_grad=False):
    return Tensor(np.zeros(_shape_from_args(shape), dtype), requires_grad)


def ones(*shape, dtype=DEFAULT_DTYPE, requires_grad=False):
    return Tensor(np.ones(_shape_from_args(shape), dtype), requires_grad)


def full(shape, fill_value, dtype=DEFAULT_DTYPE, requires_grad=False):
    return Tensor(np.full(_shape_from_args((shape,)), fill_value, dtype), requires_grad)


def zeros_like(tensor, dtype=None, requires_grad=False):
    return Tensor(np.zeros_like(np.asarray(tensor), dtype), requires_grad)


def ones_like(tensor, dtype=None, requires_grad=False):
    return Tensor(np.ones_like(np.asarray(tensor), dtype), requires_grad)


def eye(n, m=None, dtype=DEFAULT_DTYPE, requires_grad=False):
    return Tensor(np.eye(n, m, dtype=dtype), requires_grad)


def arange(start, stop=None, step=1, dtype=None, requires_grad=False):
    """Like ``torch.arange``: integer arguments give int64, any float gives float32."""
    if dtype is None:
        given = (start, stop, step)
        dtype = DEFAULT_DTYPE if any(isinstance(v, float) for v in given) else np.int64
    if stop is None:
        start, stop = 0, start
    return Tensor(np.arange(start, stop, step, dtype=dtype), requires_grad)


def randn(*shape, dtype=DEFAULT_DTYPE, requires_grad=False):
    """Standard normal samples from the seeded generator (see ``manual_seed``)."""
    data = rng.generator().standard_normal(_shape_from_args(shape), dtype=np.float64)
    return Tensor(data.astype(dtype), requires_grad)


def rand(*shape, dtype=DEFAULT_DTYPE, requires_grad=False):
    """Uniform samples in [0, 1) from the seeded generator (see ``manual_seed``)."""
    data = rng.generator().random(_shape_from_args(shape), dtype=np.float64)
    return Tensor(data.astype(dtype), requires_grad)
