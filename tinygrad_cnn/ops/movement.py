"""Movement ops: they rearrange, select or copy elements without computing new values.

Because every output element is a copy of some input element, each backward sends the
gradient back to where the element came from: the inverse rearrangement for reshape and
permute, a sum over the copies for expand, a scatter-add for indexing, a slice for padding.
"""

import numpy as np

from tinygrad_cnn.autograd import Function, unbroadcast
from tinygrad_cnn.ops.axes import normalize_axis


class Reshape(Function):
    """out = a with a new shape (same elements in the same row-major order; -1 is inferred).
    The backward is the inverse reshape: dL/da = g.reshape(a.shape).
    ``flatten`` is a reshape too (see ``flattened_shape``)."""

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape)


def flattened_shape(shape, start_dim, end_dim):
    """The shape after merging axes start_dim..end_dim (inclusive) into one, as torch.flatten."""
    if len(shape) == 0:
        return (1,)
    start = normalize_axis(start_dim, len(shape), "flatten")
    end = normalize_axis(end_dim, len(shape), "flatten")
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    merged = int(np.prod(shape[start : end + 1]))
    return shape[:start] + (merged,) + shape[end + 1 :]


class Permute(Function):
    """out = a with its axes reordered: out.shape[i] = a.shape[dims[i]].
    The backward applies the inverse permutation: axis dims[i] of the input is axis i of the
    output, so dL/da = g.transpose(argsort(dims)). ``transpose`` and ``.T`` are permutes."""

    settings = ("dims",)

    @staticmethod
    def forward(ctx, a, dims):
        axes = tuple(normalize_axis(d, a.ndim, "permute") for d in dims)
        if sorted(axes) != list(range(a.ndim)):
            raise ValueError(f"permute: dims {dims} are not a permutation of the {a.ndim} axes")
        ctx.dims = axes  # negative dims counted from the end, so argsort inverts them
        return np.transpose(a, axes)

    @staticmethod
    def backward(ctx, g):
        return np.transpose(g, np.argsort(ctx.dims))


def swapped_axes(ndim, dim0, dim1):
    """The permutation that swaps ``dim0`` and ``dim1``."""
    dims = list(range(ndim))
    i, j = normalize_axis(dim0, ndim, "transpose"), normalize_axis(dim1, ndim, "transpose")
    dims[i], dims[j] = dims[j], dims[i]
    return tuple(dims)


class Expand(Function):
    """out = a broadcast to ``shape`` (size-1 axes stretched, new leading axes added; -1
    keeps the size of an existing axis, and is refused for a new leading one, as in PyTorch).
    Each input element is copied many times, so its gradient is the sum over its copies:
    dL/da = unbroadcast(g, a.shape)."""

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        offset = len(shape) - a.ndim
        if offset < 0:
            raise ValueError(f"expand: cannot expand shape {a.shape} to fewer axes {shape}")
        if -1 in shape[:offset]:
            raise ValueError(
                f"expand: cannot expand shape {a.shape} to {shape}: -1 (keep the size) is "
                f"only allowed for the existing axes, not for the new leading ones"
            )
        shape = tuple(a.shape[i - offset] if s == -1 else s for i, s in enumerate(shape))
        return np.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, g):
        return unbroadcast(g, ctx.shape)


class GetItem(Function):
    """out = a[index], with numpy's indexing: ints, slices with steps, None, Ellipsis, integer
    arrays and boolean masks.

    Each output element is a copy of one input element, so the gradient is scattered back:
    dL/da = zeros of a's shape, with g added at the selected positions. Integer arrays may
    select the same element several times (a[[0, 0]]); then its gradient is the sum of the
    gradients of its copies, which ``np.add.at`` accumulates (plain assignment would keep only
    the last one). Basic indexing (no arrays) never repeats an element and uses assignment.

    Worked example: a = [10, 20, 30], index [0, 0, 2], g = [1, 1, 1] gives dL/da = [2, 0, 1].
    """

    name = "getitem"

    @staticmethod
    def forward(ctx, a, index):
        ctx.index = index
        ctx.shape = a.shape
        ctx.is_advanced = any(isinstance(p, np.ndarray) for p in ctx.index)
        try:
            return a[ctx.index]
        except IndexError as err:
            raise IndexError(f"getitem: bad index for a tensor of shape {a.shape}: {err}") from None

    @staticmethod
    def backward(ctx, g):
        grad = np.zeros(ctx.shape, dtype=g.dtype)
        if ctx.is_advanced:
            np.add.at(grad, ctx.index, g)
        else:
            grad[ctx.index] = g
        return grad


class Pad(Function):
    """out = a with constant ``value`` added around it. ``pad`` uses PyTorch's F.pad order:
    (before, after) for the last axis, then for the axis before it, and so on.

    Example: a 2x2 image padded with (1, 1, 1, 1) becomes 4x4 with a border of zeros.
    The padding does not depend on a, so dL/da is g with the border sliced off.
    """

    @staticmethod
    def forward(ctx, a, pad, value=0.0):
        if len(pad) % 2 or len(pad) // 2 > a.ndim or any(p < 0 for p in pad):
            raise ValueError(
                f"pad: padding {pad} must be non-negative (before, after) pairs for at most "
                f"the {a.ndim} axes of shape {a.shape}"
            )
        pairs = [(0, 0)] * (a.ndim - len(pad) // 2)
        pairs += [(pad[i], pad[i + 1]) for i in reversed(range(0, len(pad), 2))]
        ctx.slices = tuple(
            slice(before, before + size) for (before, _), size in zip(pairs, a.shape)
        )
        return np.pad(a, pairs, constant_values=value) if pairs else a.copy()  # 0-d: no axes

    @staticmethod
    def backward(ctx, g):
        return g[ctx.slices]


class Concatenate(Function):
    """out = the inputs joined along ``axis``. Each input owns a block of the output, so its
    gradient is that block of g: dL/da_k = g[..., offset_k : offset_k + size_k, ...]."""

    settings = ("axis",)

    @staticmethod
    def forward(ctx, *arrays, axis=0):
        ctx.axis = normalize_axis(axis, arrays[0].ndim, "concatenate")
        ctx.sizes = [a.shape[ctx.axis] for a in arrays]
        return np.concatenate(arrays, axis=ctx.axis)

    @staticmethod
    def backward(ctx, g):
        boundaries = np.cumsum(ctx.sizes)[:-1]
        return tuple(np.split(g, boundaries, axis=ctx.axis))


class Stack(Function):
    """out = the inputs (all of one shape) stacked along a new axis ``axis``.
    Input k is the slice k of that axis, so dL/da_k = g taken at index k along ``axis``."""

    settings = ("axis",)

    @staticmethod
    def forward(ctx, *arrays, axis=0):
        ctx.axis = normalize_axis(axis, arrays[0].ndim + 1, "stack")
        return np.stack(arrays, axis=ctx.axis)

    @staticmethod
    def backward(ctx, g):
        return tuple(np.take(g, k, axis=ctx.axis) for k in range(g.shape[ctx.axis]))
