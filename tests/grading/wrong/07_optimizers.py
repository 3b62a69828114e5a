"""Adam without bias correction: the steps use m and v themselves, not m / (1 - beta1**t) and
v / (1 - beta2**t), so the first steps are (1 - beta1) / sqrt(1 - beta2) = 3.16 times too long
with the default betas."""

SYMPTOM = "bias correction"  # what a failure message must say


def adam_trajectory(X, y, w0, lr, betas=(0.9, 0.999), eps=1e-8, steps=1):
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)  # noqa: F821
    beta1, beta2 = betas
    w = np.array(w0, dtype=np.float64)  # noqa: F821
    m, v = np.zeros_like(w), np.zeros_like(w)  # noqa: F821
    rows = []
    for _ in range(steps):
        g = mse_gradient(X, y, w)  # noqa: F821
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        w = w - lr * m / (np.sqrt(v) + eps)  # noqa: F821  (the mistake: m and v uncorrected)
        rows.append(w)
    return np.array(rows)  # noqa: F821
