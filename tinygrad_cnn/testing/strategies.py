"""Hypothesis strategies for shapes and float arrays suited to gradient checks.

Central differences need inputs away from kinks (relu and abs at 0: the two sides of the
difference would straddle the kink) and, for max and min, elements that do not tie or nearly
tie (a perturbation of eps would change which element is largest). ``float_arrays`` keeps
elements at least ``min_gap`` from every point in ``avoid`` and, with ``distinct=True``, at
least ``min_gap`` from each other.
"""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


def shapes(min_dims=1, max_dims=3, min_side=1, max_side=4):
    """Array shapes, e.g. (3,), (2, 4, 1)."""
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4):
    """Tuples of ``num_shapes`` shapes that broadcast together, e.g. ((2, 1, 3), (4, 1))."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, max_side=max_side
    ).map(lambda result: result.input_shapes)


def _push_away(points, gap):
    """Move a value that lies within ``gap`` of one of ``points`` to exactly ``gap`` away."""

    def push(value):
        for p in points:
            if abs(value - p) < gap:
                value = p + gap if value >= p else p - gap
        return value

    return push


@st.composite
def _distinct_array(draw, shape, min_value, max_value, min_gap):
    """Values on a shuffled grid with jitter: the n values take the n slots of width
    (max - min) / n in a random order, each somewhere in the middle half of its slot, so any
    two are at least half a slot apart."""
    size = int(np.prod(shape))
    slot = (max_value - min_value) / max(size, 1)
    if slot / 2 < min_gap:
        raise ValueError(f"float_arrays: {size} distinct values {min_gap} apart do not fit")
    ranks = np.array(draw(st.permutations(range(size))), dtype=np.float64)
    jitter = np.array(draw(st.lists(st.floats(0.25, 0.75), min_size=size, max_size=size)))
    return (min_value + (ranks + jitter) * slot).reshape(shape)


def float_arrays(
    shape, dtype=np.float64, min_value=-3.0, max_value=3.0, avoid=(), min_gap=1e-3, distinct=False
):
    """Float arrays of ``shape`` (a tuple or a strategy of tuples) with elements in
    [min_value, max_value], at least ``min_gap`` away from each point of ``avoid`` or, if
    ``distinct``, from each other (``avoid`` and ``distinct`` do not combine)."""
    if not isinstance(shape, st.SearchStrategy):
        shape = st.just(tuple(shape))
    if distinct:
        if avoid:
            raise ValueError("float_arrays: use either avoid or distinct, not both")
        return shape.flatmap(
            lambda s: _distinct_array(s, min_value, max_value, min_gap).map(
                lambda a: a.astype(dtype)
            )
        )
    elements = st.floats(
        min_value, max_value, allow_nan=False, allow_infinity=False, allow_subnormal=False, width=64
    )
    if avoid:
        elements = elements.map(_push_away(avoid, min_gap))
    return shape.flatmap(
        lambda s: hnp.arrays(np.float64, s, elements=elements).map(lambda a: a.astype(dtype))
    )


def make_non_contiguous(array):
    """The same values in a non-contiguous view (every other element of a larger buffer)."""
    if array.ndim == 0:
        return array
    buffer = np.zeros(array.shape[:-1] + (2 * array.shape[-1],), dtype=array.dtype)
    buffer[..., ::2] = array
    return buffer[..., ::2]


def non_contiguous_arrays(shape, **kwargs):
    """Like ``float_arrays`` but every array is a non-contiguous view."""
    return float_arrays(shape, **kwargs).map(make_non_contiguous)
