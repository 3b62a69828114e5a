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


def _far_from(points, gap):
    return lambda value: all(abs(value - p) >= gap for p in points)


def _gaps_at_least(gap):
    def check(array):
        flat = np.sort(array, axis=None)
        return flat.size < 2 or np.min(np.diff(flat)) >= gap

    return check


def float_arrays(
    shape, dtype=np.float64, min_value=-3.0, max_value=3.0, avoid=(), min_gap=1e-3, distinct=False
):
    """Float arrays of ``shape`` (a tuple or a strategy of tuples) with elements in
    [min_value, max_value], at least ``min_gap`` away from each point of ``avoid`` and, if
    ``distinct``, from each other."""
    if not isinstance(shape, st.SearchStrategy):
        shape = st.just(tuple(shape))
    elements = st.floats(
        min_value, max_value, allow_nan=False, allow_infinity=False, allow_subnormal=False, width=64
    )
    if avoid:
        elements = elements.filter(_far_from(avoid, min_gap))

    def arrays_of(one_shape):
        arrays = hnp.arrays(np.float64, one_shape, elements=elements, unique=distinct)
        if distinct:
            arrays = arrays.filter(_gaps_at_least(min_gap))
        return arrays.map(lambda a: a.astype(dtype))

    return shape.flatmap(arrays_of)


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
