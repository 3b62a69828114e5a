"""The L2 penalty's gradient without the factor 2 (lam * w instead of 2 * lam * w)."""

SYMPTOM = "half"  # what a failure message must say


def l2_penalty_grad(weights, lam):
    return [lam * np.asarray(w, dtype=np.float64) for w in weights]  # noqa: F821
