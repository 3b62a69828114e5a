"""Softmax and log-softmax straight from the formula, without subtracting the maximum: e^1000
overflows to inf, so scores such as [1000, 0, -1000] give nan (inf / inf) instead of [1, 0, 0],
and the cross-entropy computed from them is nan too."""

SYMPTOM = "subtract the max"  # what a failure message must say


def softmax(z, axis=-1):
    e = np.exp(np.asarray(z, dtype=np.float64))  # noqa: F821  (the mistake: no max subtracted)
    return e / np.sum(e, axis=axis, keepdims=True)  # noqa: F821


def log_softmax(z, axis=-1):
    z = np.asarray(z, dtype=np.float64)  # noqa: F821
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))  # noqa: F821  (the same)
