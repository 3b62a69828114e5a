"""Cross-check values and gradients against PyTorch when it is installed (skipped otherwise)."""

import numpy as np
import pytest
from hypothesis import given

import tinygrad_cnn as tg
from tinygrad_cnn.testing import float_arrays

pytestmark = pytest.mark.torch  # CI runs these a second time, with PyTorch installed
torch = pytest.importorskip("torch")

# (ours, PyTorch's) on a (3, 4) input and a (4,) input
EXPRESSIONS = [
    (lambda x, y: (x * y + y).sum(), lambda x, y: (x * y + y).sum()),
    (
        lambda x, y: (x / (y.abs() + 1)).tanh().mean(),
        lambda x, y: (x / (y.abs() + 1)).tanh().mean(),
    ),
    (lambda x, y: (x @ y).sigmoid().sum(), lambda x, y: (x @ y).sigmoid().sum()),
    (lambda x, y: x.log_softmax(axis=1)[:, 1].sum(), lambda x, y: x.log_softmax(dim=1)[:, 1].sum()),
    (
        lambda x, y: x.softmax(axis=0).max(axis=1).sum(),
        lambda x, y: x.softmax(dim=0).amax(dim=1).sum(),
    ),
    (lambda x, y: x.var(axis=0).sum() + y.var(), lambda x, y: x.var(dim=0).sum() + y.var()),
    (lambda x, y: x.logsumexp(axis=1).sum(), lambda x, y: x.logsumexp(dim=1).sum()),
    (
        lambda x, y: (x.exp() ** 0.5 * y.clip(-1, 1)).sum(),
        lambda x, y: (x.exp() ** 0.5 * y.clamp(-1, 1)).sum(),
    ),
    (
        lambda x, y: tg.stack([x[0], y]).leaky_relu(0.1).sum(),
        lambda x, y: torch.nn.functional.leaky_relu(torch.stack([x[0], y]), 0.1).sum(),
    ),
    (
        lambda x, y: x.T.reshape(2, 6).pad((1, 2)).relu().sum(),
        lambda x, y: torch.nn.functional.pad(x.T.reshape(2, 6), (1, 2)).relu().sum(),
    ),
]


@pytest.mark.parametrize("ours, theirs", EXPRESSIONS)
@given(
    x=float_arrays((3, 4), avoid=(0.0, -1.0, 1.0), min_gap=1e-2),
    y=float_arrays((4,), avoid=(0.0, -1.0, 1.0), min_gap=1e-2),
)
def test_values_and_gradients_match_pytorch(ours, theirs, x, y):
    tx, ty = tg.Tensor(x, requires_grad=True), tg.Tensor(y, requires_grad=True)
    px, py = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    out, expected = ours(tx, ty), theirs(px, py)
    out.backward()
    expected.backward()
    np.testing.assert_allclose(out.item(), expected.item(), rtol=1e-10, atol=1e-12)
    for mine, reference in ((tx.grad, px.grad), (ty.grad, py.grad)):
        if reference is None:
            assert mine is None or not mine.any()
        else:
            np.testing.assert_allclose(mine, reference.numpy(), rtol=1e-10, atol=1e-12)
