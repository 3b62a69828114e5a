"""Softmax, log-softmax and the cross-entropy losses on numpy arrays, computed stably.

softmax turns a vector of scores z (the logits) into probabilities:

    softmax(z)_i = e^{z_i} / sum_j e^{z_j}

Adding the same constant m to every score changes nothing (e^m cancels between the numerator
and the denominator), so we subtract m = max_j z_j first: every exponent is then <= 0, no
e^{z} can overflow, and the largest term is e^0 = 1, so the sum is at least 1. With
z = [1000, 0, -1000] the plain formula computes e^1000 = inf and inf / inf = nan; shifted,
the exponents are [0, -1000, -2000] and the answer is [1, 0, 0].

The cross-entropy of a batch of N rows of logits with integer targets t_i is the mean of
-log softmax(z_i)[t_i], with the natural log. Its gradient with respect to the logits is
(softmax(z) - one_hot(t)) / N. The worked example (the lecture's scores):

    z = [-0.8, 2.0, 6.0, -2.7, 0.8]
    softmax(z)     = [0.001086, 0.017867, 0.975503, 0.000163, 0.005381]
    log_softmax(z) = z - 6.024802 = [-6.824802, -4.024802, -0.024802, -8.724802, -5.224802]
    cross_entropy([z], [2]) = 0.024802
"""

import numpy as np


def softmax(z, axis=-1):
    """The softmax of ``z`` along ``axis``, computed without overflow.

    z: a float numpy array of any shape (at least 1-D).
    axis: the axis that holds the scores of one example (the last one by default).

    Returns an array of z's shape: every slice along ``axis`` holds positive numbers that sum
    to 1. Subtract the maximum along ``axis`` (keepdims=True) before exponentiating, so that
    huge scores such as [1000, 0, -1000] give [1, 0, 0] and never nan or inf.
    """
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))  # every exponent <= 0: no overflow
    return e / np.sum(e, axis=axis, keepdims=True)  # the sum is >= 1 (the max gives e^0)
    ### END SOLUTION


def log_softmax(z, axis=-1):
    """The natural log of ``softmax(z, axis)``, computed without taking the log of a
    probability that may have underflowed to 0.

    z: a float numpy array of any shape (at least 1-D).
    axis: the axis that holds the scores of one example.

    Returns an array of z's shape: z - m - log(sum_j e^{z_j - m}) along ``axis``, where m is
    the maximum along ``axis``. [1000, 0, -1000] gives [0, -1000, -2000], all finite.
    """
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=np.float64)
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    ### END SOLUTION


def cross_entropy(logits, targets):
    """The mean cross-entropy of a batch, from raw scores and integer class targets.

    logits: a float numpy array of shape (N, C): row i holds the C scores of example i.
    targets: an integer numpy array of shape (N,): targets[i] is the true class of example i,
        in 0 .. C - 1.

    Returns a float: (1 / N) * sum_i -log softmax(logits[i])[targets[i]], with the natural
    log. Use ``log_softmax``, not the log of ``softmax``, so that huge logits stay finite.
    """
    ### BEGIN SOLUTION
    logits = np.asarray(logits, dtype=np.float64)
    rows = np.arange(logits.shape[0])
    return float(-np.mean(log_softmax(logits, axis=1)[rows, np.asarray(targets)]))
    ### END SOLUTION


def cross_entropy_grad(logits, targets):
    """The gradient of ``cross_entropy(logits, targets)`` with respect to ``logits``.

    logits: a float numpy array of shape (N, C).
    targets: an integer numpy array of shape (N,), class indices in 0 .. C - 1.

    Returns a float array of shape (N, C): (softmax(logits) - one_hot(targets)) / N, where
    one_hot(targets)[i, c] is 1 if c == targets[i] and 0 otherwise, and softmax is taken
    along each row.
    """
    ### BEGIN SOLUTION
    logits = np.asarray(logits, dtype=np.float64)
    n = logits.shape[0]
    grad = softmax(logits, axis=1)
    grad[np.arange(n), np.asarray(targets)] -= 1.0  # softmax - one_hot
    return grad / n  # the loss is a mean over the N rows
    ### END SOLUTION


def binary_cross_entropy(p, y):
    """The mean binary cross-entropy of predicted probabilities ``p`` and labels ``y``.

    p: a float numpy array of any shape, each element the predicted probability of class 1,
        strictly between 0 and 1.
    y: a numpy array of p's shape, each element the true label, 0 or 1.

    Returns a float: the mean over all elements of -(y log p + (1 - y) log(1 - p)), with the
    natural log.
    """
    ### BEGIN SOLUTION
    p, y = np.asarray(p, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    ### END SOLUTION
