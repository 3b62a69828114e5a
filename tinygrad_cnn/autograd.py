"""Reverse-mode automatic differentiation: Function, the backward pass, no_grad.

How it works, in four sentences:

1. Every op is a subclass of :class:`Function` with two static methods:
   ``forward(ctx, *arrays, **params) -> array`` computes the result from numpy arrays, and
   ``backward(ctx, grad) -> gradient per input`` turns the gradient of the loss with respect to
   the output into the gradients with respect to each input (the chain rule, one op at a time).
2. ``Function.apply(*tensors)`` runs ``forward`` and, when any input requires a gradient, wraps
   the result in a Tensor that remembers the call (``tensor._ctx``): this link is the graph.
   This module never imports Tensor (``tensor.py`` imports the ops, which import this module):
   every Tensor carries ``_make``, the constructor of results, and ``apply`` calls it.
3. ``loss.backward()`` (see :func:`backward`) lists the graph in topological order, iteratively
   (no recursion, so a chain of 100,000 ops works), and walks it from the loss down, calling
   each ``backward`` once, after every gradient flowing into its output has been summed.
4. Gradients that reach a leaf (a tensor the user made, such as a weight) are added to its
   ``.grad``: they accumulate across uses and across calls until the user clears them.

``ctx`` is the graph node itself: ``forward`` stores what ``backward`` needs on it, either with
``ctx.save_for_backward(a, b)`` (read back as ``ctx.saved_tensors``) or as plain attributes
(``ctx.axis = axis``). ``ctx.requires_grad`` tells ``forward`` whether a backward can follow
(False under ``no_grad`` or when no input requires a gradient): an op whose saved state is
costly, such as the convolution's im2col columns, keeps nothing then.
"""

import re

import numpy as np

_grad_enabled = True


def is_grad_enabled():
    """True unless inside a ``no_grad()`` block."""
    return _grad_enabled


class no_grad:
    """Context manager (and decorator) in which no graph is recorded.

    Ops inside still compute their results, but the results never require a gradient and keep
    no link to their inputs, so no memory is held for a backward pass: use it for evaluation
    and for optimizer updates.

    >>> with no_grad():
    ...     y = x * 2          # y.requires_grad is False even if x.requires_grad
    """

    def __enter__(self):
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = False

    def __exit__(self, *exc_info):
        global _grad_enabled
        _grad_enabled = self._previous

    def __call__(self, function):
        def without_grad(*args, **kwargs):
            with no_grad():
                return function(*args, **kwargs)

        without_grad.__name__ = function.__name__
        without_grad.__doc__ = function.__doc__
        return without_grad


def unbroadcast(grad, shape):
    """Sum ``grad`` back to ``shape``: the one place where broadcasting is undone.

    Broadcasting an input of shape ``shape`` to the output's shape copies each of its elements
    along the new leading axes and along the axes where ``shape`` has size 1. A copied value
    ``y_j = x`` for every j contributes ``dL/dx = sum_j dL/dy_j``: the gradient of a copy is the
    sum of the gradients of its copies. So we sum over the added leading axes, then over the
    axes that were stretched from 1 (keeping them as size 1).

    Example: x of shape (3, 1) added to y of shape (2, 3, 4) gives an output (2, 3, 4);
    ``unbroadcast(grad, (3, 1))`` sums axis 0 away and axis 2 down to size 1.
    """
    if grad.shape == shape:
        return grad
    added = grad.ndim - len(shape)
    if added > 0:
        grad = grad.sum(axis=tuple(range(added)))
    stretched = tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def _snake_case(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _describe(inputs):
    return ", ".join(str(t.shape) for t in inputs)


class Function:
    """Base class of every op; an instance is one node of the graph (the ``ctx``)."""

    #: name used in error messages and graph drawings, e.g. "log_softmax" for LogSoftmax
    name = "function"
    #: ops that only make sense on real numbers (exp, log, ...) cast integer inputs to float32
    needs_float = False
    #: names of the ctx attributes that describe this call, shown in graph drawings next to
    #: the name, e.g. ("stride", "padding") draws "conv2d stride=1 padding=2"
    settings = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:  # a class may set its own, e.g. "logsumexp"
            cls.name = _snake_case(cls.__name__)

    def save_for_backward(self, *arrays):
        self.saved_tensors = arrays

    @staticmethod
    def forward(ctx, *arrays, **params):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on Tensors and, if a gradient is needed, record it in the graph."""
        for position, given in enumerate(inputs):
            if not hasattr(given, "_make"):
                raise TypeError(
                    f"{cls.name}: input {position} is a {type(given).__name__}, not a Tensor "
                    f"(wrap it first: Tensor(x))"
                )
        ctx = cls()
        # whether a backward can follow: forward may skip saving anything when it cannot
        ctx.requires_grad = _grad_enabled and any(t._requires_grad for t in inputs)
        arrays = [t.data for t in inputs]
        if cls.needs_float:
            arrays = [a.astype(np.float32) if a.dtype.kind in "biu" else a for a in arrays]
        try:
            data = cls.forward(ctx, *arrays, **params)
        except ValueError as err:  # numpy's own message (broadcasting, reshape), with our context
            if str(err).startswith(cls.name + ":"):
                raise
            raise ValueError(f"{cls.name}: inputs of shape {_describe(inputs)}: {err}") from None
        make_tensor = inputs[0]._make
        if not ctx.requires_grad:
            return make_tensor(data, False, None)
        ctx.inputs = inputs
        ctx.needs_input_grad = [t._requires_grad for t in inputs]
        return make_tensor(data, True, ctx)


def backward(root, grad):
    """Backpropagate ``grad`` (dL/droot) through the graph that produced ``root``.

    Gradients for intermediate tensors live only in a dictionary during this call; leaves
    (tensors with no ``_ctx``) that require a gradient get it added to ``.grad``.
    """
    grads = {id(root): grad}
    for tensor in reversed(_topological_order(root)):
        grad = grads.pop(id(tensor), None)
        if grad is None:  # no path from this tensor to root carried a gradient
            continue
        ctx = tensor._ctx
        if ctx is None:
            if tensor.grad is None:
                tensor.grad = np.array(grad, dtype=tensor.data.dtype)  # a copy the user owns
            else:
                tensor.grad = (tensor.grad + grad).astype(tensor.data.dtype, copy=False)
            continue
        input_grads = ctx.backward(ctx, grad)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        for inp, needs_grad, input_grad in zip(ctx.inputs, ctx.needs_input_grad, input_grads):
            if not needs_grad or input_grad is None:
                continue
            if input_grad.shape != inp.data.shape:
                raise RuntimeError(
                    f"{ctx.name}: backward returned a gradient of shape {input_grad.shape} "
                    f"for an input of shape {inp.data.shape}"
                )
            key = id(inp)
            grads[key] = grads[key] + input_grad if key in grads else input_grad


def _topological_order(root):
    """Tensors that lead to ``root`` (requiring a gradient), each after all of its inputs.

    An iterative depth-first search: a tensor is appended once all its inputs are appended.
    The stack holds (tensor, inputs_done) pairs instead of recursing.
    """
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        if tensor._ctx is not None:
            for inp in tensor._ctx.inputs:
                if inp._requires_grad and id(inp) not in visited:
                    stack.append((inp, False))
    return order
