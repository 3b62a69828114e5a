"""Optimizers as pure functions: SGD with momentum (PyTorch's form and the lecture's damped
form) and Adam, each run for a few steps on a small least-squares problem.

Every function takes the problem (``X``, ``y``), a starting point ``w0`` and the settings, and
returns the trajectory: a float64 array of shape (steps, d) whose row t holds the weights after
step t + 1 (``w0`` is not a row). The loss and its gradient are given:

    C(w) = mean((X @ w - y)**2),        dC/dw = 2 / n * X^T (X @ w - y)   (mse_gradient)

On the statement's problem (X = [[1, 2], [3, -1], [0, 1], [2, 0]], y = [1, 0, 2, -1],
w0 = [0, 0], lr = 0.1, momentum = alpha = 0.9) the first gradient is g = [0.5, -2]:

    PyTorch form:  b = g             w1 = w0 - 0.1 * [0.5, -2]        = [-0.05, 0.2]
    damped form:   v = 0.1 * g       w1 = w0 - 0.1 * [0.05, -0.2]     = [-0.005, 0.02]
    Adam:          m_hat = g, v_hat = g**2, w1 = w0 - 0.1 * g / (|g| + eps), about [-0.1, 0.1]

Write the updates with numpy; the tests compare your trajectories with the engine's
``tinygrad_cnn.optim`` (PyTorch's rules), so calling it here would teach you nothing.
"""

import numpy as np

# ------------------------------------------------------------------ given: the loss gradient


def mse_gradient(X, y, w):
    """Gradient of the mean squared error C(w) = mean((X @ w - y)**2), a mean over the n rows
    with no factor 1/2: dC/dw = 2 / n * X^T (X @ w - y), shape (d,) like ``w``."""
    return 2.0 / len(y) * (X.T @ (X @ w - y))


# ------------------------------------------------------------------ to implement


def sgd_momentum_trajectory(X, y, w0, lr, momentum, steps):
    """Gradient descent with momentum in PyTorch's form (``optim.SGD(lr, momentum)``).

    X: (n, d), y: (n,), w0: (d,) the starting weights; lr > 0; momentum in [0, 1); steps >= 1.
    At every step, with g = mse_gradient(X, y, w) at the current w:

        b = g                       (first step: the buffer starts as the first gradient)
        b = momentum * b + g        (later steps)
        w = w - lr * b

    Returns a float64 array of shape (steps, d): row t is w after step t + 1.
    """
    ### BEGIN SOLUTION
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    w = np.array(w0, dtype=np.float64)
    b = None
    rows = []
    for _ in range(steps):
        g = mse_gradient(X, y, w)
        b = g if b is None else momentum * b + g
        w = w - lr * b
        rows.append(w)
    return np.array(rows)
    ### END SOLUTION


def damped_momentum_trajectory(X, y, w0, lr, alpha, steps):
    """Gradient descent with the lecture's damped momentum (an exponential moving average).

    Same arguments as ``sgd_momentum_trajectory``, with alpha in [0, 1) for the momentum. The
    velocity v starts at zero; at every step, with g = mse_gradient(X, y, w):

        v = alpha * v + (1 - alpha) * g
        w = w - lr * v

    which is the lecture's W_{t+1} = W_t + alpha (W_t - W_{t-1}) - (1 - alpha) lr g, with
    W_0 - W_{-1} = 0. Returns a float64 array of shape (steps, d): row t is w after step t + 1.
    """
    ### BEGIN SOLUTION
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    w = np.array(w0, dtype=np.float64)
    v = np.zeros_like(w)
    rows = []
    for _ in range(steps):
        g = mse_gradient(X, y, w)
        v = alpha * v + (1 - alpha) * g
        w = w - lr * v
        rows.append(w)
    return np.array(rows)
    ### END SOLUTION


def adam_trajectory(X, y, w0, lr, betas=(0.9, 0.999), eps=1e-8, steps=1):
    """Adam with bias correction (``optim.Adam(lr, betas, eps)``, no weight decay).

    Same problem arguments; betas = (beta1, beta2), each in [0, 1); eps > 0. m and v start at
    zero; at step t = 1, 2, ..., with g = mse_gradient(X, y, w):

        m = beta1 * m + (1 - beta1) * g          (running mean of the gradients)
        v = beta2 * v + (1 - beta2) * g**2       (running mean of their squares)
        m_hat = m / (1 - beta1**t),  v_hat = v / (1 - beta2**t)     (bias correction)
        w = w - lr * m_hat / (sqrt(v_hat) + eps)

    Returns a float64 array of shape (steps, d): row t is w after step t + 1.
    """
    ### BEGIN SOLUTION
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    beta1, beta2 = betas
    w = np.array(w0, dtype=np.float64)
    m, v = np.zeros_like(w), np.zeros_like(w)
    rows = []
    for t in range(1, steps + 1):
        g = mse_gradient(X, y, w)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        rows.append(w)
    return np.array(rows)
    ### END SOLUTION
