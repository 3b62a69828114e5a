"""gradcheck: compare the gradients backward computes with finite differences.

For a function f of tensors x_1..x_n we draw fixed random weights w of the output's shape and
look at the scalar L = sum(w * f(x)). Its gradient, computed two ways, must agree:

- analytic: ``L.backward()``, which runs every op's backward (the code under test);
- numeric: central differences, one input element at a time,
  dL/dx_i ~ (L(x + eps e_i) - L(x - eps e_i)) / (2 eps), with an error of order eps^2.

Random weights make every output element matter (a wrong gradient for any output element
changes dL/dx for almost every w), while needing a single backward pass. As in PyTorch, an
element passes when |analytic - numeric| <= atol + rtol * |numeric|; everything runs in
float64, where eps = 1e-6 leaves about 10 significant digits.
"""

import numpy as np

from tinygrad_cnn.autograd import no_grad
from tinygrad_cnn.tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck when an analytic gradient differs from the numeric one."""


def _weighted_sum(outputs, weights):
    total = 0.0
    for out, w in zip(outputs, weights):
        total = total + (out * w).sum()
    return total


def _outputs(fn, inputs):
    result = fn(*inputs)
    outputs = result if isinstance(result, (tuple, list)) else (result,)
    return [out for out in outputs if isinstance(out, Tensor) and out.dtype.kind == "f"]


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check the gradients of ``fn(*inputs)`` with respect to every input with requires_grad.

    ``inputs`` is a Tensor or a sequence of Tensors (other values are passed through as they
    are); the inputs are copied to float64 first. ``fn`` may return a tensor of any shape or a
    tuple of tensors. Returns True, or raises GradcheckError naming the input, the element,
    and both values.
    """
    inputs = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    inputs = [_float64_leaf(x) if isinstance(x, Tensor) else x for x in inputs]
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, nothing to check")

    outputs = _outputs(fn, inputs)
    if not outputs:
        raise ValueError("gradcheck: fn returned no floating-point tensor")
    generator = np.random.default_rng(seed)  # own generator: leaves manual_seed's stream alone
    weights = [generator.standard_normal(out.shape) for out in outputs]
    loss = _weighted_sum(outputs, weights)
    if loss.requires_grad:
        loss.backward()

    for i in checked:
        x = inputs[i]
        analytic = x.grad if x.grad is not None else np.zeros_like(x.data)
        numeric = _numeric_gradient(fn, inputs, x, weights, eps)
        _compare(i, x, analytic, numeric, atol, rtol)
    return True


def _float64_leaf(x):
    """A fresh leaf in float64; a float64 input's array is shared, keeping its memory layout
    (e.g. non-contiguous), and is perturbed in place then restored."""
    data = x.data if x.dtype == np.float64 else x.data.astype(np.float64)
    return Tensor._make(data, x.requires_grad, None)


def _numeric_gradient(fn, inputs, x, weights, eps):
    numeric = np.zeros(x.shape)
    with no_grad():
        for j in np.ndindex(x.shape):
            original = x.data[j]
            x.data[j] = original + eps
            up = _weighted_sum(_outputs(fn, inputs), weights).item()
            x.data[j] = original - eps
            down = _weighted_sum(_outputs(fn, inputs), weights).item()
            x.data[j] = original
            numeric[j] = (up - down) / (2 * eps)
    return numeric


def _compare(position, x, analytic, numeric, atol, rtol):
    error = np.abs(analytic - numeric)
    allowed = atol + rtol * np.abs(numeric)
    bad = ~(error <= allowed)  # also catches nan
    if not bad.any():
        return
    worst = np.unravel_index(np.argmax(np.where(bad, error - allowed, -np.inf)), x.shape)
    if np.isnan(error).any():
        worst = np.unravel_index(np.argmax(np.isnan(error)), x.shape)
    raise GradcheckError(
        f"gradcheck: input {position} (shape {x.shape}), element {tuple(map(int, worst))}: "
        f"analytic gradient {analytic[worst]:.6g} but numeric {numeric[worst]:.6g} "
        f"(|difference| {error[worst]:.3g} > atol + rtol * |numeric| = {allowed[worst]:.3g}); "
        f"{int(bad.sum())} of {x.data.size} elements differ"
    )
