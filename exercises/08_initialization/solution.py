"""Weight initialization: fan in and fan out, Xavier/Glorot and He/Kaiming, and what they do
to the activations of a deep ReLU network.

A unit that sums fan_in inputs of mean square q with independent weights of variance s^2
(mean 0) has an output of variance fan_in * s^2 * q. ReLU keeps only the positive half, so
the mean square after it is half the variance before it. He's initialization, variance
2 / fan_in, makes the two factors cancel: every layer of a ReLU network passes on the mean
square it received. Xavier's, variance 2 / (fan_in + fan_out), keeps the variance of a
linear (or tanh) layer steady in both directions, forward and backward; after a ReLU it
halves the signal at every square layer.

    conv weight (C_out, C_in, kH, kW) = (64, 32, 3, 3):
    fan_in  = 32 * 3 * 3 = 288           fan_out = 64 * 3 * 3 = 576
    Xavier uniform limit  sqrt(6 / (288 + 576)) = 1/12 = 0.08333
    He uniform limit      sqrt(6 / 288)                 = 0.14434
    He normal std         sqrt(2 / 288)          = 1/12 = 0.08333

Six functions to write, numpy only; ``activation_variances`` uses your ``he_normal`` and
``xavier_normal``. The README gives the formulas, the recipe and worked numbers.
"""

import math

import numpy as np

SMALL_STD = 0.01  # init="small": N(0, 0.01^2) at every layer, whatever its size
KERAS_UNIFORM_LIMIT = 0.05  # init="uniform": Keras 1's init='uniform', U(-0.05, 0.05)


def fan_in_fan_out(shape):
    """The fan in and fan out of a weight of this shape, as PyTorch counts them.

    shape: a tuple (or list) of ints with at least 2 entries: (out, in) for a Linear weight,
        (C_out, C_in, kH, kW) for a Conv2d weight, (out, in, *kernel) in general.

    Returns (fan_in, fan_out), two ints: fan_in = in * prod(kernel) (the inputs that one
    output unit sums), fan_out = out * prod(kernel) (the outputs that one input feeds).
    For a Linear weight (out, in) that is (in, out).

    Raises ValueError if shape has fewer than 2 entries (a bias has no fan in and fan out).
    """
    ### BEGIN SOLUTION
    shape = tuple(int(side) for side in shape)
    if len(shape) < 2:
        raise ValueError(f"fan_in_fan_out: a weight needs at least 2 axes, got shape {shape}")
    receptive_field = math.prod(shape[2:])  # 1 for a Linear weight
    return shape[1] * receptive_field, shape[0] * receptive_field
    ### END SOLUTION


def xavier_uniform(shape, gain=1.0, seed=0):
    """Glorot/Xavier uniform: U(-limit, limit), limit = gain * sqrt(6 / (fan_in + fan_out)).

    The variance of U(-a, a) is a^2 / 3, so this has variance gain^2 * 2 / (fan_in + fan_out).
    Draw with ``np.random.default_rng(seed).uniform(-limit, limit, size=shape)``.
    Returns a float64 array of the given shape.
    """
    ### BEGIN SOLUTION
    fan_in, fan_out = fan_in_fan_out(shape)
    limit = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return np.random.default_rng(seed).uniform(-limit, limit, size=tuple(shape))
    ### END SOLUTION


def xavier_normal(shape, gain=1.0, seed=0):
    """Glorot/Xavier normal: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)).

    Draw with ``np.random.default_rng(seed).normal(0.0, std, size=shape)``.
    Returns a float64 array of the given shape.
    """
    ### BEGIN SOLUTION
    fan_in, fan_out = fan_in_fan_out(shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return np.random.default_rng(seed).normal(0.0, std, size=tuple(shape))
    ### END SOLUTION


def he_uniform(shape, seed=0):
    """He/Kaiming uniform for ReLU: U(-limit, limit), limit = sqrt(6 / fan_in).

    Variance limit^2 / 3 = 2 / fan_in. PyTorch: ``kaiming_uniform_(w, nonlinearity="relu")``
    (mode="fan_in"). Draw with ``np.random.default_rng(seed).uniform(-limit, limit,
    size=shape)``. Returns a float64 array of the given shape.
    """
    ### BEGIN SOLUTION
    fan_in, _ = fan_in_fan_out(shape)
    limit = math.sqrt(6.0 / fan_in)
    return np.random.default_rng(seed).uniform(-limit, limit, size=tuple(shape))
    ### END SOLUTION


def he_normal(shape, seed=0):
    """He/Kaiming normal for ReLU: N(0, std^2), std = sqrt(2 / fan_in).

    PyTorch: ``kaiming_normal_(w, nonlinearity="relu")`` (mode="fan_in"). Draw with
    ``np.random.default_rng(seed).normal(0.0, std, size=shape)``. Returns a float64 array of
    the given shape.
    """
    ### BEGIN SOLUTION
    fan_in, _ = fan_in_fan_out(shape)
    std = math.sqrt(2.0 / fan_in)
    return np.random.default_rng(seed).normal(0.0, std, size=tuple(shape))
    ### END SOLUTION


def activation_variances(depth, width, init, seed, batch_size):
    """The variance of each layer's activations in a deep ReLU network, first layer first.

    The recipe (follow it exactly: the tests rebuild the same network):

    1. the input: ``x = np.random.default_rng(seed).standard_normal((batch_size, width))``;
    2. for k = 1, 2, ..., depth, a weight W of shape (width, width) drawn with seed + k:
       - ``"he"``: ``he_normal((width, width), seed=seed + k)``;
       - ``"xavier"``: ``xavier_normal((width, width), gain=1.0, seed=seed + k)``;
       - ``"small"``: ``np.random.default_rng(seed + k).normal(0.0, 0.01, size=(width, width))``
         (standard deviation 0.01 at every layer);
       - ``"uniform"``: ``np.random.default_rng(seed + k).uniform(-0.05, 0.05,
         size=(width, width))`` (Keras 1's ``init='uniform'``, as in the lecture's MLP);
       then ``h = np.maximum(h @ W.T, 0.0)`` (a Linear layer without bias, then ReLU; h
       starts as x);
    3. the variance of layer k is ``np.var(h)`` over all batch_size * width activations.

    Returns a float64 array of shape (depth,). Raises ValueError for any other ``init``.
    """
    ### BEGIN SOLUTION
    shape = (width, width)

    def weight(k):
        if init == "he":
            return he_normal(shape, seed=seed + k)
        if init == "xavier":
            return xavier_normal(shape, gain=1.0, seed=seed + k)
        if init == "small":
            return np.random.default_rng(seed + k).normal(0.0, SMALL_STD, size=shape)
        return np.random.default_rng(seed + k).uniform(
            -KERAS_UNIFORM_LIMIT, KERAS_UNIFORM_LIMIT, size=shape
        )

    if init not in ("he", "xavier", "small", "uniform"):
        raise ValueError(
            f"activation_variances: init must be 'he', 'xavier', 'small' or 'uniform', got {init!r}"
        )
    h = np.random.default_rng(seed).standard_normal((batch_size, width))
    variances = np.zeros(depth)
    for k in range(1, depth + 1):
        h = np.maximum(h @ weight(k).T, 0.0)
        variances[k - 1] = np.var(h)
    return variances
    ### END SOLUTION
