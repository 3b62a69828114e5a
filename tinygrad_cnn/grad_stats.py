"""Gradient flow: how large each parameter's gradient is, and how far each step moves it.

For every parameter tensor (``"0.weight"``, ``"0.bias"``, ...) three numbers:

- ``grad_norm``: the Frobenius norm of its gradient, sqrt(sum g^2);
- ``grad_abs_mean``: the mean absolute gradient, mean |g| (comparable across tensors of
  different sizes, where the norm grows with the size);
- ``update_ratio``: the size of the step the optimizer took relative to the size of the
  weight, ||w_after - w_before|| / ||w_before||. Around 1e-3 per step is the usual healthy
  figure; much smaller means the layer barely learns. A weight that starts at zero (a bias
  initialized to 0) is measured against its new value instead.

They are the instrument of the vanishing-gradient exercise: in a deep sigmoid network the first
layers' gradients are orders of magnitude below the last layers', in a ReLU network with He's
initialization they are not.

``gradient_stats(model, loss, optimizer)`` measures one batch; ``GradientStats`` is what
``tinygrad-cnn train --grad-stats`` uses: it measures every step and averages over the epoch.
"""

import numpy as np

STATS = ("grad_norm", "grad_abs_mean", "update_ratio")


def gradient_stats(model, loss, optimizer=None):
    """The three statistics of one batch, ``{name: {"grad_norm": .., "grad_abs_mean": ..,
    "update_ratio": ..}}`` in ``model.named_parameters()`` order.

    Clears the model's gradients, runs ``loss.backward()`` and reads them. With an
    ``optimizer``, also takes its step (as training would) and measures it; without one, no
    weight changes and ``update_ratio`` is left out.
    """
    model.zero_grad()
    loss.backward()
    stats = GradientStats(model)
    if optimizer is None:
        stats.add(stats.measure_gradients())
    else:
        stats.step(optimizer)
    return stats.summary()


class GradientStats:
    """Running sums of the statistics over the steps of an epoch.

    ``step(optimizer)`` replaces ``optimizer.step()``: it measures the gradients, takes the
    step and measures the update. ``summary()`` gives the averages over the steps so far and
    ``reset()`` starts a new epoch. ``state_dict()``/``load_state_dict()`` carry the sums
    through a checkpoint, so an interrupted and resumed epoch averages the same steps as an
    uninterrupted one.
    """

    def __init__(self, model):
        self.parameters = list(model.named_parameters())
        self.reset()

    def reset(self):
        self.steps, self.sums = 0, {}

    def measure_gradients(self):
        """{name: {"grad_norm", "grad_abs_mean"}} of the gradients now held (none: skipped)."""
        measured = {}
        for name, parameter in self.parameters:
            if parameter.grad is not None:
                g = parameter.grad
                measured[name] = {
                    "grad_norm": float(np.linalg.norm(g)),
                    "grad_abs_mean": float(np.abs(g).mean()),
                }
        return measured

    def step(self, optimizer):
        """Take ``optimizer``'s step, recording the gradients before it and the update."""
        measured = self.measure_gradients()
        before = {name: p.data.copy() for name, p in self.parameters if name in measured}
        optimizer.step()
        for name, parameter in self.parameters:
            if name in measured:
                weight = np.linalg.norm(before[name]) or np.linalg.norm(parameter.data)
                update = np.linalg.norm(parameter.data - before[name])
                measured[name]["update_ratio"] = float(update / weight) if weight else 0.0
        self.add(measured)

    def add(self, measured):
        for name, values in measured.items():
            sums = self.sums.setdefault(name, {})
            for key, value in values.items():
                sums[key] = sums.get(key, 0.0) + value
        self.steps += 1

    def summary(self):
        """The average of each statistic over the steps recorded since ``reset()``."""
        return {
            name: {key: total / self.steps for key, total in sums.items()}
            for name, sums in self.sums.items()
        }

    def state_dict(self):
        return {"steps": self.steps, "sums": {name: dict(s) for name, s in self.sums.items()}}

    def load_state_dict(self, state):
        self.steps = int(state["steps"])
        self.sums = {name: dict(s) for name, s in state["sums"].items()}
