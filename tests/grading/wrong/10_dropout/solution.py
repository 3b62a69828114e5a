"""A WRONG solution of 10_dropout: dropout without the 1 / (1 - p) scale (kept values stay x).

Inverted dropout, forward and backward, on numpy arrays.

p is the probability to DROP an element (as in PyTorch, Keras and tinygrad_cnn); the
PSI5886 lecture calls p the probability to KEEP it. Here the keep probability is 1 - p.

In training, each element of x is kept with probability 1 - p, independently of the others,
and the kept ones are divided by 1 - p, so that the expected value of every element is
unchanged: E[out] = (1 - p) * x / (1 - p) + p * 0 = x. In evaluation dropout does nothing.

    x    = [1.0, 2.0, 3.0, 4.0],  p = 0.5
    mask = [True, False, False, True]          (drawn at random)
    out  = [2.0, 0.0, 0.0, 8.0]                (kept values times 1 / (1 - 0.5) = 2)

The mask is a constant of the forward pass, so the backward pass lets the gradient through
the same elements, with the same factor 1 / (1 - p), and sends zero to the dropped ones.
"""

import numpy as np


def dropout_forward(x, p=0.5, training=True, seed=0):
    """Inverted dropout of ``x``; returns ``(out, mask)``.

    x: a float numpy array of any shape.
    p: the probability to drop each element, a number in [0, 1].
    training: True applies dropout; False (evaluation) returns a copy of x and a mask of all
        True (the identity: nothing is dropped and nothing is scaled).
    seed: an int; draw the random numbers from ``np.random.default_rng(seed)``, so the same
        seed gives the same mask.

    Returns out (same shape as x) and mask (a bool array of the same shape, True where the
    element is kept). In training, out is x / (1 - p) where mask is True and exactly 0 where
    it is False; with p = 1 everything is dropped and out is all zeros (no division by 0).

    Raises ValueError if p is not in [0, 1] (NaN included), in training and in evaluation.
    """
    if not 0 <= p <= 1:  # written this way round, NaN is rejected too
        raise ValueError(f"dropout_forward: p is the drop probability, in [0, 1]; got {p}")
    x = np.asarray(x)
    if not training:
        return x.copy(), np.ones(x.shape, dtype=bool)
    mask = np.random.default_rng(seed).random(x.shape) >= p  # True with probability 1 - p
    out = np.zeros_like(x)
    out[mask] = x[mask]  # WRONG: the kept values are not divided by 1 - p
    return out, mask


def dropout_backward(grad_out, mask, p):
    """The gradient of the loss with respect to x, given ``grad_out`` (with respect to out).

    grad_out: a float numpy array, the shape of x.
    mask: the bool mask that ``dropout_forward`` returned with this output.
    p: the drop probability used in that forward pass.

    Returns grad_x, the shape of grad_out: grad_out / (1 - p) where mask is True, exactly 0
    where it is False (so all zeros when p = 1). This is the training-mode backward; in
    evaluation mode dropout is the identity and its gradient is grad_out itself.

    Raises ValueError if p is not in [0, 1] (NaN included).
    """
    if not 0 <= p <= 1:
        raise ValueError(f"dropout_backward: p is the drop probability, in [0, 1]; got {p}")
    grad_out, mask = np.asarray(grad_out), np.asarray(mask, dtype=bool)
    grad_x = np.zeros_like(grad_out)
    grad_x[mask] = grad_out[mask]  # WRONG: the gradient is not divided by 1 - p
    return grad_x
