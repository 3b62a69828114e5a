"""He's initialization without the factor 2: variance 1/fan_in (LeCun's), so each ReLU layer
halves the mean square of the activations and 20 layers shrink it about a million times."""

SYMPTOM = "1/fan_in instead of 2/fan_in"  # what a failure message must say


def he_uniform(shape, seed=0):
    fan_in, _ = fan_in_fan_out(shape)  # noqa: F821  (from the reference above)
    limit = math.sqrt(3.0 / fan_in)  # noqa: F821  (the mistake: sqrt(3 / fan_in), not sqrt(6 / fan_in))
    return np.random.default_rng(seed).uniform(-limit, limit, size=tuple(shape))  # noqa: F821


def he_normal(shape, seed=0):
    fan_in, _ = fan_in_fan_out(shape)  # noqa: F821
    std = math.sqrt(1.0 / fan_in)  # noqa: F821  (the mistake: variance 1 / fan_in)
    return np.random.default_rng(seed).normal(0.0, std, size=tuple(shape))  # noqa: F821
