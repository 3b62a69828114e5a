"""Optimizers and schedules: hand-computed steps, PyTorch's trajectories, groups, state."""

import math

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import optim


def run(optimizer_class, steps, p0=1.0, **settings):
    """Minimize 0.5 p^2 (gradient p) for ``steps`` steps; return the trajectory of p."""
    p = tg.Tensor(np.array([p0]), requires_grad=True)
    optimizer = optimizer_class([p], **settings)
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        (0.5 * p * p).sum().backward()
        optimizer.step()
        trajectory.append(p.data[0])
    return trajectory


@pytest.mark.parametrize(
    "optimizer, settings, expected",
    [
        (optim.SGD, dict(lr=0.1), [0.9, 0.81, 0.729]),
        (optim.SGD, dict(lr=0.1, momentum=0.9), [0.9, 0.72, 0.486]),
        (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True), [0.81, 0.5751]),
        (optim.SGD, dict(lr=0.1, weight_decay=1.0), [0.8, 0.64]),  # gradient p + 1.0 * p
        (optim.Adam, dict(lr=0.1), [0.9, 0.800412]),
        (optim.AdamW, dict(lr=0.1, weight_decay=0.01), [0.899]),
        (optim.RMSprop, dict(lr=0.01), [0.9, 0.832918]),
        (optim.Adagrad, dict(lr=0.1), [0.9, 0.833104]),
        (optim.Adadelta, dict(), [0.9968377]),
    ],
)
def test_steps_match_hand_computed_values(optimizer, settings, expected):
    np.testing.assert_allclose(run(optimizer, len(expected), **settings), expected, atol=1e-6)


CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.01, alpha=0.9)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.01)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
]


def gradient(p):
    """A fixed, non-trivial gradient field, computed the same way for both libraries."""
    return p**3 - 0.5 * p + np.cos(3 * p)


@pytest.mark.torch
@pytest.mark.parametrize("name, settings", CONFIGS)
def test_trajectories_match_pytorch(name, settings):
    torch = pytest.importorskip("torch")
    start = np.random.default_rng(0).standard_normal((3, 4))
    ours = tg.Tensor(start.copy(), requires_grad=True)
    theirs = torch.tensor(start.copy(), requires_grad=True)
    our_optimizer = getattr(optim, name)([ours], **settings)
    their_optimizer = getattr(torch.optim, name)([theirs], **settings)
    for _ in range(12):
        ours.grad = gradient(ours.data)
        theirs.grad = torch.tensor(gradient(theirs.detach().numpy()))
        our_optimizer.step()
        their_optimizer.step()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10)


def test_defaults_are_pytorchs():
    p = [tg.Tensor([1.0], requires_grad=True)]
    assert optim.SGD(p).param_groups[0]["lr"] == 1e-3
    assert optim.Adam(p).param_groups[0]["betas"] == (0.9, 0.999)
    assert optim.AdamW(p).param_groups[0]["weight_decay"] == 1e-2
    assert optim.RMSprop(p).param_groups[0]["alpha"] == 0.99
    assert optim.Adagrad(p).param_groups[0]["eps"] == 1e-10
    assert optim.Adadelta(p).param_groups[0]["lr"] == 1.0


def test_parameter_groups_have_their_own_settings():
    a = tg.Tensor([1.0], requires_grad=True)
    b = tg.Tensor([1.0], requires_grad=True)
    optimizer = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad, b.grad = np.array([1.0]), np.array([1.0])
    optimizer.step()
    assert a.data[0] == pytest.approx(0.9) and b.data[0] == pytest.approx(0.5)


def test_parameters_without_gradient_are_skipped_and_zero_grad_clears():
    a = tg.Tensor([1.0], requires_grad=True)
    optimizer = optim.Adam([a], lr=0.1)
    optimizer.step()
    assert a.data[0] == 1.0 and optimizer.state == {}
    a.grad = np.array([1.0])
    optimizer.zero_grad()
    assert a.grad is None
    a.grad = np.array([1.0])
    optimizer.zero_grad(set_to_none=False)
    assert a.grad.tolist() == [0.0]


def test_bad_settings_are_refused():
    p = [tg.Tensor([1.0], requires_grad=True)]
    with pytest.raises(ValueError, match="SGD: lr must be >= 0"):
        optim.SGD(p, lr=-1)
    with pytest.raises(ValueError, match="nesterov needs momentum"):
        optim.SGD(p, lr=0.1, nesterov=True)
    with pytest.raises(TypeError, match="momentum"):
        optim.Adam(p, momentum=0.9)
    assert optim.SGD(p, 0.25).param_groups[0]["lr"] == 0.25  # lr by position, as in PyTorch
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])


@pytest.mark.parametrize("name, settings", CONFIGS)
def test_state_dict_resume_continues_exactly(name, settings, tmp_path):
    start = np.random.default_rng(1).standard_normal((2, 3))
    straight = tg.Tensor(start.copy(), requires_grad=True)
    straight_optimizer = getattr(optim, name)([straight], **settings)
    for _ in range(6):
        straight.grad = gradient(straight.data)
        straight_optimizer.step()

    first = tg.Tensor(start.copy(), requires_grad=True)
    optimizer = getattr(optim, name)([first], **settings)
    for _ in range(3):
        first.grad = gradient(first.data)
        optimizer.step()
    tg.save({"param": first, "optimizer": optimizer.state_dict()}, tmp_path / "opt.npz")
    saved = tg.load(tmp_path / "opt.npz")
    resumed = tg.Tensor(saved["param"], requires_grad=True)
    resumed_optimizer = getattr(optim, name)([resumed], lr=123.0)  # overwritten by the state
    resumed_optimizer.load_state_dict(saved["optimizer"])
    for _ in range(3):
        resumed.grad = gradient(resumed.data)
        resumed_optimizer.step()
    np.testing.assert_array_equal(resumed.data, straight.data)


def test_load_state_dict_rejects_a_different_layout():
    a, b = tg.Tensor([1.0], requires_grad=True), tg.Tensor([1.0, 2.0], requires_grad=True)
    one = optim.Adam([a])
    two = optim.Adam([a, b])
    with pytest.raises(
        ValueError, match=r"saved groups hold \[1\] parameters, this optimizer \[2\]"
    ):
        two.load_state_dict(one.state_dict())
    b.grad = np.ones(2)
    other = optim.Adam([b])
    other.step()
    with pytest.raises(ValueError, match="has shape"):
        optim.Adam([a]).load_state_dict(other.state_dict())


# ----------------------------------------------------------------- schedules
def test_schedules_follow_their_formulas():
    def lrs(make, epochs=7):
        optimizer = optim.SGD([tg.Tensor([1.0], requires_grad=True)], lr=0.1)
        schedule = make(optimizer)
        values = [optimizer.param_groups[0]["lr"]]
        for _ in range(epochs):
            schedule.step()
            values.append(schedule.get_last_lr()[0])
        return values

    np.testing.assert_allclose(
        lrs(lambda o: optim.StepLR(o, step_size=3, gamma=0.5)),
        [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025],
    )
    np.testing.assert_allclose(
        lrs(lambda o: optim.ExponentialLR(o, gamma=0.9)), [0.1 * 0.9**e for e in range(8)]
    )
    np.testing.assert_allclose(
        lrs(lambda o: optim.CosineAnnealingLR(o, T_max=4, eta_min=0.01), epochs=4),
        [0.01 + 0.09 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(5)],
    )


@pytest.mark.torch
def test_schedules_match_pytorch_and_resume():
    torch = pytest.importorskip("torch")
    ours_p, theirs_p = tg.Tensor([1.0], requires_grad=True), torch.zeros(1, requires_grad=True)
    ours = optim.CosineAnnealingLR(optim.SGD([ours_p], lr=0.1), T_max=10, eta_min=0.001)
    theirs = torch.optim.lr_scheduler.CosineAnnealingLR(
        torch.optim.SGD([theirs_p], lr=0.1), T_max=10, eta_min=0.001
    )
    for _ in range(10):
        theirs.optimizer.step()
        theirs.step()
        ours.step()
        assert ours.get_last_lr()[0] == pytest.approx(theirs.get_last_lr()[0], rel=1e-9)
    again = optim.CosineAnnealingLR(optim.SGD([ours_p], lr=0.1), T_max=10, eta_min=0.001)
    again.load_state_dict(ours.state_dict())
    assert again.get_last_lr() == ours.get_last_lr()
