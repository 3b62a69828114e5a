"""A first training run with nothing but Tensor ops: a two-layer network learns two spirals.

Everything a training loop needs is visible here: parameters that require gradients, a
forward pass, a loss (cross-entropy written with log_softmax), ``backward``, and a gradient
descent step under ``no_grad``. Later modules (nn, optim) package exactly these steps.
"""

import math

import numpy as np

from tinygrad_cnn import rng
from tinygrad_cnn.autograd import no_grad
from tinygrad_cnn.tensor import Tensor, randn, zeros


def two_spirals(points_per_class, noise=0.03):
    """2-D points on two interleaved spirals and their labels 0 and 1."""
    generator = rng.generator()
    t = np.sqrt(generator.random(points_per_class)) * 3 * np.pi
    spiral = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (3 * np.pi)
    points = np.concatenate([spiral, -spiral]) + noise * generator.standard_normal(
        (2 * points_per_class, 2)
    )
    labels = np.repeat([0, 1], points_per_class)
    return points.astype(np.float32), labels


def _he_normal(fan_in, fan_out):
    """Weights with variance 2 / fan_in, which keeps ReLU activations at a steady scale."""
    return Tensor(randn(fan_in, fan_out).data * math.sqrt(2 / fan_in), requires_grad=True)


def train_spirals(steps=2000, hidden=64, lr=0.5, points_per_class=200, report=print):
    """Full-batch gradient descent on the spirals; returns the final training accuracy."""
    x, y = two_spirals(points_per_class)
    x, rows = Tensor(x), np.arange(len(y))
    w1, w2, w3 = _he_normal(2, hidden), _he_normal(hidden, hidden), _he_normal(hidden, 2)
    b1, b2, b3 = (zeros(n, requires_grad=True) for n in (hidden, hidden, 2))
    params = [w1, b1, w2, b2, w3, b3]
    for step in range(1, steps + 1):
        logits = ((x @ w1 + b1).relu() @ w2 + b2).relu() @ w3 + b3
        loss = -logits.log_softmax(axis=1)[rows, y].mean()  # cross-entropy
        for p in params:
            p.grad = None
        loss.backward()
        with no_grad():
            for p in params:
                p.data -= lr * p.grad
        if step % (steps // 10) == 0 or step == steps:
            accuracy = float((logits.data.argmax(axis=1) == y).mean())
            report(f"step {step:5d}  loss {loss.item():.4f}  accuracy {accuracy:.1%}")
    return accuracy
