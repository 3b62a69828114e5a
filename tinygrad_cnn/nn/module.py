"""Module, Parameter and Sequential: how layers hold their weights and nest (as in PyTorch).

A Module registers what you assign to it: ``self.fc = Linear(4, 2)`` records a child module,
``self.weight = Parameter(...)`` a parameter, ``self.register_buffer("running_mean", array)``
a buffer (state that is saved but not trained). From these, ``parameters()``,
``named_parameters()``, ``state_dict()`` and ``train()``/``eval()`` walk the whole tree.
"""

from collections import OrderedDict

import numpy as np

from tinygrad_cnn.tensor import Tensor, _to_array


class Parameter(Tensor):
    """A tensor that is a module's trainable weight: requires_grad=True, and assigning it to
    a Module attribute registers it. ``Parameter(tensor)`` shares the tensor's data."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        array = data.data if isinstance(data, Tensor) else _to_array(data, None)
        super().__init__(array, requires_grad=False)
        self.data = array  # share, do not copy
        self.requires_grad = requires_grad

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of layers and models: subclass it, assign layers and Parameters in
    ``__init__``, and write ``forward``. Calling the module calls ``forward``."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", [])
        object.__setattr__(self, "training", True)

    # ----------------------------------------------------------------- registration
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )
        if name in self._buffers and isinstance(value, np.ndarray):
            self._buffers[name] = value  # updating a buffer, e.g. a running mean
            return
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):  # only called when normal lookup fails
        for registry in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(registry, {}):
                return self.__dict__[registry][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def register_buffer(self, name, array):
        """Keep ``array`` (numpy) as state that is saved and loaded but not trained."""
        self._buffers[name] = np.asarray(array)

    def register_forward_hook(self, hook):
        """Call ``hook(module, inputs, output)`` after every forward; returns a handle whose
        ``remove()`` unregisters it."""
        self._forward_hooks.append(hook)
        return _HookHandle(self._forward_hooks, hook)

    # ----------------------------------------------------------------- calling
    def forward(self, *inputs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *inputs):
        output = self.forward(*inputs)
        for hook in self._forward_hooks:
            hook(self, inputs, output)
        return output

    # ----------------------------------------------------------------- walking the tree
    def named_modules(self, prefix=""):
        """This module and every descendant, with dotted names ("" for this one)."""
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        return (module for _, module in self.named_modules())

    def children(self):
        return iter(self._modules.values())

    def named_parameters(self):
        """(dotted name, Parameter) for every parameter, e.g. ("features.0.weight", ...)."""
        for prefix, module in self.named_modules():
            for name, parameter in module._parameters.items():
                yield (f"{prefix}.{name}" if prefix else name), parameter

    def parameters(self):
        return (parameter for _, parameter in self.named_parameters())

    def named_buffers(self):
        for prefix, module in self.named_modules():
            for name, buffer in module._buffers.items():
                yield (f"{prefix}.{name}" if prefix else name), buffer

    def train(self, mode=True):
        """Training mode (dropout active, batch norm uses batch statistics)."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        """Evaluation mode (dropout off, batch norm uses running statistics)."""
        return self.train(False)

    def zero_grad(self):
        for parameter in self.parameters():
            parameter.grad = None

    def to(self, dtype):
        """Cast every floating-point parameter and buffer to ``dtype`` (e.g. np.float64 for
        gradient checks). Parameters stay the same objects, so optimizers keep them."""
        for parameter in self.parameters():
            parameter.data = parameter.data.astype(dtype)
            parameter.grad = None
        for module in self.modules():
            for name, buffer in module._buffers.items():
                if buffer.dtype.kind == "f":
                    module._buffers[name] = buffer.astype(dtype)
        return self

    def double(self):
        return self.to(np.float64)

    def float(self):
        return self.to(np.float32)

    # ----------------------------------------------------------------- saving and loading
    def state_dict(self):
        """An ordered dict of dotted name -> numpy array (a copy) of parameters and buffers."""
        state = OrderedDict((name, p.data.copy()) for name, p in self.named_parameters())
        state.update((name, b.copy()) for name, b in self.named_buffers())
        return state

    def load_state_dict(self, state, strict=True):
        """Copy arrays from ``state`` into the parameters and buffers.

        Everything is checked before anything is written: with ``strict``, missing or
        unexpected keys are errors; a shape mismatch always is. On error the model is
        unchanged. Returns (missing keys, unexpected keys).
        """
        targets = dict(self.named_parameters())
        buffer_owners = {}
        for prefix, module in self.named_modules():
            for name in module._buffers:
                buffer_owners[f"{prefix}.{name}" if prefix else name] = (module, name)
        expected = list(targets) + list(buffer_owners)
        missing = [key for key in expected if key not in state]
        unexpected = [key for key in state if key not in targets and key not in buffer_owners]
        if strict and (missing or unexpected):
            raise ValueError(
                f"load_state_dict: state does not match {type(self).__name__}: "
                f"missing keys {missing}, unexpected keys {unexpected}"
            )
        arrays = {}
        for key in expected:
            if key not in state:
                continue
            array = np.asarray(state[key].data if isinstance(state[key], Tensor) else state[key])
            if key in targets:
                current = targets[key].data
            else:
                module, name = buffer_owners[key]
                current = module._buffers[name]
            if array.shape != current.shape:
                raise ValueError(
                    f"load_state_dict: {key!r} has shape {array.shape} in the state but "
                    f"{current.shape} in the model"
                )
            arrays[key] = array.astype(current.dtype)  # a copy
        for key, array in arrays.items():
            if key in targets:
                targets[key].data = array
            else:
                module, name = buffer_owners[key]
                module._buffers[name] = array
        return missing, unexpected

    # ----------------------------------------------------------------- printing
    def extra_repr(self):
        """The arguments shown inside the parentheses of repr (override in layers)."""
        return ""

    def __repr__(self):
        if not self._modules:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in self._modules.items():
            child_lines = repr(child).split("\n")
            lines.append(f"  ({name}): " + "\n  ".join(child_lines))
        lines.append(")")
        return "\n".join(lines)

    def summary(self, input_shape):
        """A Keras-style table: each layer, its output shape (without the batch axis) and its
        parameter count, then the totals. ``input_shape`` excludes the batch, e.g. (1, 28, 28).
        """
        from tinygrad_cnn.nn.summary import summary

        return summary(self, input_shape)


class _HookHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class Sequential(Module):
    """Modules applied one after the other: ``Sequential(Conv2d(1, 6, 5), ReLU(), ...)``, or
    from an OrderedDict of names to modules. Supports indexing, slicing, len, iteration and
    ``append``."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                setattr(self, name, module)
        else:
            for module in modules:
                self.append(module)

    def append(self, module):
        if not isinstance(module, Module):
            raise ValueError(f"Sequential: expected a Module, got {type(module).__name__}")
        setattr(self, str(len(self._modules)), module)
        return self

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*modules[index])
        return modules[index]

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x
