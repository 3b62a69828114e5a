"""Optimizers and learning-rate schedules with PyTorch's update rules, defaults and names.

An optimizer holds parameter groups (lists of parameters with their hyperparameters) and a
per-parameter state (momentum buffers, running averages). ``step()`` updates every parameter
that has a gradient, in place; ``zero_grad()`` clears the gradients. Each ``update`` below is
the formula from the PyTorch documentation, written out for one parameter (g is its gradient).
"""

import copy
import math

import numpy as np

from tinygrad_cnn.autograd import no_grad


def check_betas(optimizer, betas):
    """Both averaging factors of Adam-like optimizers lie in [0, 1): 1 would never move."""
    if len(betas) != 2 or not all(0 <= beta < 1 for beta in betas):
        raise ValueError(f"{optimizer}: betas must be two numbers in [0, 1), got {betas}")


class Optimizer:
    def __init__(self, params, defaults):
        """``params``: an iterable of tensors, or of dicts {"params": [...], "lr": ...} (groups
        with their own settings); ``defaults``: the settings of groups that do not say."""
        self.defaults = defaults
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.param_groups = []
        for group in groups:
            self.add_param_group(dict(group))
        self.state = {}  # parameter position -> dict of arrays and counters

    def add_param_group(self, group):
        """Add {"params": [...], "lr": ..., ...}; missing settings come from the defaults."""
        settings = dict(self.defaults)
        settings.update(group)
        settings["params"] = list(group["params"])
        for position, parameter in enumerate(settings["params"]):
            if not hasattr(parameter, "requires_grad"):
                raise TypeError(
                    f"{type(self).__name__}: parameter {position} is a "
                    f"{type(parameter).__name__}, not a Tensor (pass model.parameters())"
                )
        for name, value in settings.items():
            if name != "params" and isinstance(value, (int, float)) and value < 0:
                raise ValueError(f"{type(self).__name__}: {name} must be >= 0, got {value}")
        self.check(settings)
        self.param_groups.append(settings)

    def check(self, group):
        """Subclasses reject invalid settings here."""

    def _parameters(self):
        """(position, group, parameter) for every parameter, positions numbered across groups."""
        position = 0
        for group in self.param_groups:
            for parameter in group["params"]:
                yield position, group, parameter
                position += 1

    def zero_grad(self, set_to_none=True):
        for _, _, parameter in self._parameters():
            if set_to_none or parameter.grad is None:
                parameter.grad = None
            else:
                parameter.grad = np.zeros_like(parameter.data)

    @no_grad()
    def step(self):
        for position, group, parameter in self._parameters():
            if parameter.grad is None:
                continue
            state = self.state.setdefault(position, {})
            self.update(parameter.data, parameter.grad.astype(parameter.dtype), state, group)

    def update(self, p, g, state, group):
        """Update the numpy array ``p`` in place from its gradient ``g``."""
        raise NotImplementedError

    def state_dict(self):
        """{"state": {position: {...}}, "param_groups": [{settings..., "params": [positions]}]}."""
        groups, position = [], 0
        for group in self.param_groups:
            settings = {k: v for k, v in group.items() if k != "params"}
            settings["params"] = list(range(position, position + len(group["params"])))
            position += len(group["params"])
            groups.append(settings)
        return {"state": copy.deepcopy(self.state), "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore settings and state saved by ``state_dict`` (checked before anything changes)."""
        groups = state_dict["param_groups"]
        if [len(g["params"]) for g in groups] != [len(g["params"]) for g in self.param_groups]:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: the saved groups hold "
                f"{[len(g['params']) for g in groups]} parameters, this optimizer "
                f"{[len(g['params']) for g in self.param_groups]}"
            )
        parameters = {position: p for position, _, p in self._parameters()}
        state = {}
        for position, values in state_dict["state"].items():
            position = int(position)
            for name, value in values.items():
                if isinstance(value, np.ndarray) and value.shape != parameters[position].shape:
                    raise ValueError(
                        f"{type(self).__name__}.load_state_dict: state {name!r} of parameter "
                        f"{position} has shape {value.shape}, the parameter "
                        f"{parameters[position].shape}"
                    )
            state[position] = {
                name: np.array(value, dtype=parameters[position].dtype)
                if isinstance(value, np.ndarray)
                else value
                for name, value in values.items()
            }
        for group, saved in zip(self.param_groups, groups):
            group.update({k: v for k, v in saved.items() if k != "params"})
        self.state = state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"


def _buffer(state, name, like, fill=0.0):
    if name not in state:
        state[name] = np.full_like(like, fill)
    return state[name]


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum (PyTorch's form):

    g = g + weight_decay * p
    b = g                                   (first step)
    b = momentum * b + (1 - dampening) * g  (later steps)
    g = g + momentum * b if nesterov else b
    p = p - lr * g
    """

    def __init__(
        self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
            ),
        )

    def check(self, group):
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: nesterov needs momentum > 0 and dampening = 0")

    def update(self, p, g, state, group):
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        momentum = group["momentum"]
        if momentum:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = g.copy()
            else:
                buf = state["momentum_buffer"]
                buf *= momentum
                buf += (1 - group["dampening"]) * g
            buf = state["momentum_buffer"]
            g = g + momentum * buf if group["nesterov"] else buf
        p -= group["lr"] * g


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015):

        g = g + weight_decay * p                    (L2 in the gradient; see AdamW)
        m = beta1 * m + (1 - beta1) * g             (mean of gradients)
        v = beta2 * v + (1 - beta2) * g^2           (mean of squared gradients)
        v_max = max(v_max, v)                       (amsgrad only; then used instead of v)
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    The (1 - beta^t) factors undo the bias of m and v towards their zero start.
    """

    decoupled_weight_decay = False

    def __init__(
        self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False
    ):
        super().__init__(
            params,
            dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad),
        )

    def check(self, group):
        check_betas(type(self).__name__, group["betas"])

    def update(self, p, g, state, group):
        beta1, beta2 = group["betas"]
        if group["weight_decay"]:
            if self.decoupled_weight_decay:
                p *= 1 - group["lr"] * group["weight_decay"]
            else:
                g = g + group["weight_decay"] * p
        state["step"] = step = state.get("step", 0) + 1
        m, v = _buffer(state, "exp_avg", p), _buffer(state, "exp_avg_sq", p)
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        if group["amsgrad"]:
            v = np.maximum(_buffer(state, "max_exp_avg_sq", p), v, out=state["max_exp_avg_sq"])
        denominator = np.sqrt(v) / math.sqrt(1 - beta2**step) + group["eps"]
        p -= group["lr"] / (1 - beta1**step) * m / denominator


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): before the Adam step,
    p = p * (1 - lr * weight_decay), instead of adding weight_decay * p to the gradient."""

    decoupled_weight_decay = True

    def __init__(
        self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False
    ):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


class RMSprop(Optimizer):
    """RMSprop (Hinton):

    g = g + weight_decay * p
    s = alpha * s + (1 - alpha) * g^2
    a = alpha * a + (1 - alpha) * g; d = sqrt(s - a^2) + eps   (centered)
    d = sqrt(s) + eps                                          (otherwise)
    b = momentum * b + g / d; p = p - lr * b                   (momentum > 0)
    p = p - lr * g / d                                         (otherwise)
    """

    def __init__(
        self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
            ),
        )

    def update(self, p, g, state, group):
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        alpha = group["alpha"]
        square_avg = _buffer(state, "square_avg", p)
        square_avg *= alpha
        square_avg += (1 - alpha) * g * g
        if group["centered"]:
            grad_avg = _buffer(state, "grad_avg", p)
            grad_avg *= alpha
            grad_avg += (1 - alpha) * g
            denominator = np.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
        else:
            denominator = np.sqrt(square_avg) + group["eps"]
        if group["momentum"] > 0:
            buf = _buffer(state, "momentum_buffer", p)
            buf *= group["momentum"]
            buf += g / denominator
            p -= group["lr"] * buf
        else:
            p -= group["lr"] * g / denominator


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011): each weight's step shrinks with its gradient history.

    g = g + weight_decay * p
    s = s + g^2                      (s starts at initial_accumulator_value)
    p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0.0,
        weight_decay=0.0,
        initial_accumulator_value=0.0,
        eps=1e-10,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                lr_decay=lr_decay,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
                eps=eps,
            ),
        )

    def update(self, p, g, state, group):
        state["step"] = step = state.get("step", 0) + 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        total = _buffer(state, "sum", p, group["initial_accumulator_value"])
        total += g * g
        lr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        p -= lr * g / (np.sqrt(total) + group["eps"])


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012): steps scaled by the ratio of recent update size to recent
    gradient size, so lr = 1.0 works without tuning.

        g = g + weight_decay * p
        s = rho * s + (1 - rho) * g^2
        delta = sqrt(u + eps) / sqrt(s + eps) * g
        u = rho * u + (1 - rho) * delta^2
        p = p - lr * delta
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def update(self, p, g, state, group):
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        rho, eps = group["rho"], group["eps"]
        square_avg, acc_delta = _buffer(state, "square_avg", p), _buffer(state, "acc_delta", p)
        square_avg *= rho
        square_avg += (1 - rho) * g * g
        delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * g
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        p -= group["lr"] * delta


# ----------------------------------------------------------------- learning-rate schedules
class LRScheduler:
    """Sets each group's lr from its initial lr and the epoch count; call ``step()`` once per
    epoch, after the optimizer's steps."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._apply()

    def lr_at(self, base_lr, epoch):
        raise NotImplementedError

    def _apply(self):
        for group, base_lr in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = self.lr_at(base_lr, self.last_epoch)

    def step(self):
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state):
        self.last_epoch, self.base_lrs = int(state["last_epoch"]), list(state["base_lrs"])
        self._apply()


class StepLR(LRScheduler):
    """lr = initial_lr * gamma ^ floor(epoch / step_size)."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be >= 1, got {step_size}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """lr = initial_lr * gamma ^ epoch."""

    def __init__(self, optimizer, gamma):
        self.gamma = gamma
        super().__init__(optimizer)

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma**epoch


def cosine(base_lr, fraction, eta_min=0.0):
    """Half a cosine from ``base_lr`` (fraction 0) down to ``eta_min`` (fraction 1). The one
    cosine of the package: CosineAnnealingLR calls it per epoch, the training loop per step."""
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * fraction)) / 2


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2: from the
    initial lr down to eta_min over T_max epochs along half a cosine."""

    def __init__(self, optimizer, T_max, eta_min=0.0):
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be >= 1, got {T_max}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def lr_at(self, base_lr, epoch):
        return cosine(base_lr, epoch / self.T_max, self.eta_min)
