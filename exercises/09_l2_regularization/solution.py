"""L2 regularization: the penalty, its gradient, weight decay in SGD, Adam and AdamW.

Everything here works on plain numpy arrays in float64. The gradients of the two data losses
(``mse_gradient``, ``logistic_gradient``) and the data of ``weight_norms``
(``make_classification_data``) are given; you write the penalty and the training loops. You
may use ``tinygrad_cnn`` (tensors, ``tinygrad_cnn.optim``) inside your functions, but every
argument and return value stays a number, a list or a numpy array.
"""

import numpy as np

# ------------------------------------------------------------------ given: the data losses


def mse_gradient(X, y, w):
    """Gradient of the mean squared error C(w) = mean((X @ w - y)**2), a mean over the n rows
    with no factor 1/2: dC/dw = 2 / n * X^T (X @ w - y), shape (d,) like ``w``."""
    return 2.0 / len(y) * (X.T @ (X @ w - y))


def logistic_gradient(X, y, w):
    """Gradient of the mean binary cross-entropy of sigmoid(X @ w) against labels y in {0, 1}
    (no bias): dC/dw = X^T (sigmoid(X @ w) - y) / n, shape (d,) like ``w``."""
    return X.T @ (1.0 / (1.0 + np.exp(-(X @ w))) - y) / len(y)


def make_classification_data(seed):
    """The fixed problem of ``weight_norms``: 40 points in 3 dimensions, labelled by the side
    of a plane through the origin (so a line separates the classes exactly)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((40, 3))
    y = (X @ np.array([2.0, -1.0, 0.5]) > 0).astype(np.float64)
    return X, y


# ------------------------------------------------------------------ to implement


def l2_penalty(weights, lam):
    """The L2 penalty lam * sum of w**2 over every element of every array in ``weights``.

    weights: a list of float arrays of any shapes (for example a layer's weight matrices).
    lam: the regularization strength (a float >= 0).
    Returns a float. Example: l2_penalty([np.array([1.0, 2.0]), np.array([[3.0]])], 0.1)
    is 0.1 * (1 + 4 + 9) = 1.4.
    """
    ### BEGIN SOLUTION
    return float(lam * sum(np.sum(np.asarray(w, dtype=np.float64) ** 2) for w in weights))
    ### END SOLUTION


def l2_penalty_grad(weights, lam):
    """The gradient of ``l2_penalty(weights, lam)`` with respect to each array.

    Returns a list with one float64 array per input array, of the same shape: the derivative
    of lam * w**2 with respect to w, element by element.
    """
    ### BEGIN SOLUTION
    return [2 * lam * np.asarray(w, dtype=np.float64) for w in weights]
    ### END SOLUTION


def sgd_penalty_vs_weight_decay(X, y, w0, lr, lam, weight_decay, steps):
    """Plain gradient descent (full batch, no momentum) on linear least squares, two ways.

    X: (n, d), y: (n,), w0: (d,) the starting weights; lr: the learning rate; steps: how many
    updates. The data loss is C(w) = mean((X @ w - y)**2) (``mse_gradient`` is its gradient).

    - penalty run: minimise C(w) + lam * w^T w; each step is
      w = w - lr * (dC/dw + the gradient of the penalty from your ``l2_penalty_grad``).
    - weight-decay run: the update of ``tinygrad_cnn.optim.SGD(lr=lr,
      weight_decay=weight_decay)`` on C(w) alone: w = w - lr * (dC/dw + weight_decay * w).

    Returns (penalty_run, decay_run), two float64 arrays of shape (steps, d): row t holds the
    weights after step t + 1 (w0 itself is not included).
    """
    ### BEGIN SOLUTION
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    w_penalty = np.array(w0, dtype=np.float64)
    w_decay = w_penalty.copy()
    penalty_run, decay_run = [], []
    for _ in range(steps):
        w_penalty = w_penalty - lr * (
            mse_gradient(X, y, w_penalty) + l2_penalty_grad([w_penalty], lam)[0]
        )
        w_decay = w_decay - lr * (mse_gradient(X, y, w_decay) + weight_decay * w_decay)
        penalty_run.append(w_penalty)
        decay_run.append(w_decay)
    return np.array(penalty_run), np.array(decay_run)
    ### END SOLUTION


def adam_l2_vs_adamw(X, y, w0, lr, weight_decay, steps, betas=(0.9, 0.999), eps=1e-8):
    """Adam with L2 in the gradient versus AdamW (decoupled decay) on linear least squares.

    Same data loss as above, C(w) = mean((X @ w - y)**2). Both runs start from w0 and take
    ``steps`` updates with the rules of ``tinygrad_cnn.optim.Adam(lr, betas, eps,
    weight_decay)`` and ``tinygrad_cnn.optim.AdamW(...)`` (the same settings):

    - Adam: g = dC/dw + weight_decay * w, then the Adam step with g.
    - AdamW: g = dC/dw (the weight decay stays out of g); then w = w * (1 - lr *
      weight_decay), then the Adam step with g (computed before the shrink, as in PyTorch).

    where the Adam step at step t = 1, 2, ... is m = beta1 * m + (1 - beta1) * g,
    v = beta2 * v + (1 - beta2) * g**2 (m and v start at 0),
    w = w - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps).

    Returns (w_adam, w_adamw, gap): the two final weight vectors, shape (d,), and
    gap = max |w_adam - w_adamw| over the elements (a float).
    """
    ### BEGIN SOLUTION
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    beta1, beta2 = betas
    finals = []
    for decoupled in (False, True):
        w = np.array(w0, dtype=np.float64)
        m, v = np.zeros_like(w), np.zeros_like(w)
        for t in range(1, steps + 1):
            g = mse_gradient(X, y, w)
            if decoupled:
                w = w * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * w
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            w = w - lr / (1 - beta1**t) * m / (np.sqrt(v) / np.sqrt(1 - beta2**t) + eps)
        finals.append(w)
    w_adam, w_adamw = finals
    return w_adam, w_adamw, float(np.max(np.abs(w_adam - w_adamw)))
    ### END SOLUTION


def weight_norms(lams, seed=0, steps=100, lr=0.5):
    """Train a logistic classifier once per lambda in ``lams``; return each final weight norm.

    The recipe, exactly: X, y = make_classification_data(seed); w starts at zeros(3); each of
    the ``steps`` updates is w = w - lr * (logistic_gradient(X, y, w) + the gradient of
    lam * w^T w from your ``l2_penalty_grad``). The loss minimised is the mean binary
    cross-entropy of sigmoid(X @ w) plus lam * w^T w (no bias).

    Returns a float64 array of shape (len(lams),): the Euclidean norm sqrt(w^T w) of the final
    weights for each lambda, in the order of ``lams``.
    """
    ### BEGIN SOLUTION
    X, y = make_classification_data(seed)
    norms = []
    for lam in lams:
        w = np.zeros(3)
        for _ in range(steps):
            w = w - lr * (logistic_gradient(X, y, w) + l2_penalty_grad([w], lam)[0])
        norms.append(np.linalg.norm(w))
    return np.array(norms)
    ### END SOLUTION
