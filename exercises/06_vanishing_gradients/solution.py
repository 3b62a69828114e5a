"""Vanishing gradients: the chain rule through a chain of sigmoid neurons, and what it does to
the gradients of a deep fully connected network.

Three functions to write:

- ``chain_gradients``: the gradients of every weight and bias of a chain of scalar sigmoid
  neurons, by the chain rule, by hand (numpy only);
- ``layer_gradient_norms``: build a deep network with ``tinygrad_cnn.nn`` from an exact recipe,
  run one forward and backward pass, and measure each layer's weight gradient;
- ``why_first_layer_gradient_is_small``: one sentence, in your own words.

The README gives the formulas, the recipe step by step and worked numbers to check against.
"""

import numpy as np

import tinygrad_cnn
from tinygrad_cnn import nn


def sigmoid(z):
    """s(z) = 1 / (1 + e^-z), elementwise on numbers or numpy arrays (given)."""
    return 1.0 / (1.0 + np.exp(-z))


def chain_gradients(x, w, b, grad_out):
    """The gradients of C with respect to every weight and bias of a chain of n sigmoid neurons.

    The chain: a_0 = x, z_i = w_i * a_{i-1} + b_i and a_i = s(z_i) for i = 1..n (one number per
    neuron). C is any cost of the last activation; only its derivative dC/da_n is given.

    Args:
        x: the input, a float.
        w: the weights w_1..w_n, a 1-D array (or list) of n floats.
        b: the biases b_1..b_n, a 1-D array (or list) of n floats.
        grad_out: dC/da_n, a float.

    Returns:
        (grad_w, grad_b): two float64 numpy arrays of shape (n,); grad_w[i - 1] is dC/dw_i and
        grad_b[i - 1] is dC/db_i. In particular
        grad_w[0] = x * s'(z_1) * w_2 * s'(z_2) * ... * w_n * s'(z_n) * dC/da_n.
    """
    ### BEGIN SOLUTION
    w = np.asarray(w, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    # forward: keep each neuron's input a_{i-1} and its s'(z_i) = s(z_i) (1 - s(z_i))
    inputs, slopes = [], []
    a = float(x)
    for w_i, b_i in zip(w, b):
        inputs.append(a)
        a = sigmoid(w_i * a + b_i)
        slopes.append(a * (1.0 - a))
    # backward: dC/dz_i = dC/da_i * s'(z_i); then dC/db_i = dC/dz_i, dC/dw_i = dC/dz_i * a_{i-1}
    # and dC/da_{i-1} = dC/dz_i * w_i
    grad_w = np.zeros(len(w))
    grad_b = np.zeros(len(w))
    grad_a = float(grad_out)
    for i in reversed(range(len(w))):
        grad_z = grad_a * slopes[i]
        grad_b[i] = grad_z
        grad_w[i] = grad_z * inputs[i]
        grad_a = grad_z * w[i]
    return grad_w, grad_b
    ### END SOLUTION


def layer_gradient_norms(depth, width, activation, init, seed, batch_size):
    """The norm of each layer's weight gradient after one backward pass, first layer first.

    Follows the README's recipe exactly (the order of the random draws matters):

    1. ``tinygrad_cnn.manual_seed(seed)``;
    2. for each of the ``depth`` layers in turn: ``nn.Linear(width, width)``; with
       ``init == "he"``, then ``nn.init.kaiming_normal_(weight, nonlinearity="relu")`` and
       ``nn.init.zeros_(bias)`` on that layer; then the activation (``nn.Sigmoid()`` for
       ``"sigmoid"``, ``nn.ReLU()`` for ``"relu"``), after every layer including the last;
       ``init == "default"`` keeps Linear's own initialization;
    3. the network, an ``nn.Sequential`` of these 2 * depth modules, cast with ``.double()``;
    4. the input ``tinygrad_cnn.randn(batch_size, width, dtype=np.float64)``;
    5. the loss: the mean of all the network's outputs; ``backward()`` on it.

    Args:
        depth: the number of Linear layers, an int >= 1.
        width: the number of features of the input and of every layer, an int >= 1.
        activation: "sigmoid" or "relu".
        init: "default" or "he".
        seed: the seed of the random generator, an int >= 0.
        batch_size: the number of input rows, an int >= 1.

    Returns:
        A float64 numpy array of shape (depth,): element k is the Frobenius norm (the square
        root of the sum of the squares) of the gradient of layer k + 1's weight.
    """
    ### BEGIN SOLUTION
    activations = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}
    if activation not in activations:
        raise ValueError(f"activation must be 'sigmoid' or 'relu', got {activation!r}")
    if init not in ("default", "he"):
        raise ValueError(f"init must be 'default' or 'he', got {init!r}")
    tinygrad_cnn.manual_seed(seed)
    linears, modules = [], []
    for _ in range(depth):
        linear = nn.Linear(width, width)
        if init == "he":
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
            nn.init.zeros_(linear.bias)
        linears.append(linear)
        modules += [linear, activations[activation]()]
    model = nn.Sequential(*modules).double()
    x = tinygrad_cnn.randn(batch_size, width, dtype=np.float64)
    model(x).mean().backward()
    return np.array([np.linalg.norm(linear.weight.grad) for linear in linears])
    ### END SOLUTION


def why_first_layer_gradient_is_small():
    """One sentence (at most 300 characters) saying why, in a deep sigmoid network, the first
    layer's weights get a much smaller gradient than the last layer's."""
    ### BEGIN SOLUTION
    return (
        "By the chain rule the first layer's gradient is a product with one factor w * s'(z) "
        "per later layer, and s'(z) <= 1/4, so with moderate weights each layer shrinks it "
        "and the product decays geometrically with depth."
    )
    ### END SOLUTION
