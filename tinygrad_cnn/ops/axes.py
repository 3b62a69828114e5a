"""Checking and normalizing ``axis`` arguments, shared by the reduction, softmax and movement
ops so that every op reports a bad axis the same way."""


def normalize_axis(axis, ndim, op):
    """One axis as a non-negative int; negative counts from the end (-1 is the last)."""
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise ValueError(f"{op}: axis must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor with {ndim} dimensions")
    return axis % ndim


def normalize_axes(axis, ndim, op):
    """``None`` (all axes), an int or a tuple of ints, as a sorted tuple of distinct axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (list, tuple)):
        axes = tuple(sorted(normalize_axis(a, ndim, op) for a in axis))
        if len(set(axes)) != len(axes):
            raise ValueError(f"{op}: axis {axis!r} repeats an axis")
        return axes
    return (normalize_axis(axis, ndim, op),)
