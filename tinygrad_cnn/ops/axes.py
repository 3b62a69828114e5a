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
    """``None`` (all axes), an int or a tuple of ints, as a sorted tuple of distinct axes.

    As in PyTorch, an empty tuple also means all axes (numpy would reduce none), and a 0-d
    tensor accepts axis 0 or -1 (there is nothing to reduce: the result is the value).
    """
    if axis is None or (isinstance(axis, (list, tuple)) and len(axis) == 0):
        return tuple(range(ndim))
    if ndim == 0:  # a 0-d tensor: each axis must be 0 or -1 and nothing is reduced
        for a in axis if isinstance(axis, (list, tuple)) else (axis,):
            if isinstance(a, bool) or a not in (0, -1):
                raise ValueError(f"{op}: axis {a!r} is out of range for a 0-d tensor (use 0 or -1)")
        return ()
    if isinstance(axis, (list, tuple)):
        axes = tuple(sorted(normalize_axis(a, ndim, op) for a in axis))
        if len(set(axes)) != len(axes):
            raise ValueError(f"{op}: axis {axis!r} repeats an axis")
        return axes
    return (normalize_axis(axis, ndim, op),)
