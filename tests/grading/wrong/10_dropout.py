"""Dropout without the 1 / (1 - p) scale: kept values stay x, kept gradients stay grad_out."""

SYMPTOM = "instead of x / (1 - p)"  # what a failure message must say


def dropout_forward(x, p=0.5, training=True, seed=0):
    if not 0 <= p <= 1:
        raise ValueError(f"dropout_forward: p must be in [0, 1]; got {p}")
    x = np.asarray(x)  # noqa: F821  (np comes from the reference above)
    if not training:
        return x.copy(), np.ones(x.shape, dtype=bool)  # noqa: F821
    mask = np.random.default_rng(seed).random(x.shape) >= p  # noqa: F821
    return np.where(mask, x, 0.0), mask  # noqa: F821  (the mistake: no division by 1 - p)


def dropout_backward(grad_out, mask, p):
    if not 0 <= p <= 1:
        raise ValueError(f"dropout_backward: p must be in [0, 1]; got {p}")
    return np.where(mask, grad_out, 0.0)  # noqa: F821  (the mistake: no division by 1 - p)
