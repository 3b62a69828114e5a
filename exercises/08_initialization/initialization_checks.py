"""Helpers the visible and the hidden tests of 08_initialization share.

``draw`` calls one of the student's four initializers and checks the form of the answer.
``explain_scale`` turns a wrong scale into the mistake that usually causes it. The
statistical bounds (the derivations are in the README, "How the statistical tests decide"):

- a normal draw of n values with mean 0 and variance s^2: n * mean(w^2) / s^2 is chi-square
  with n degrees of freedom, and Laurent and Massart's inequalities (2000) bound its tails
  for every n: P(X - n >= 2 sqrt(n t) + 2 t) <= e^-t and P(n - X >= 2 sqrt(n t)) <= e^-t;
- a uniform draw on [-a, a]: w^2 / a^2 lies in [0, 1] with mean 1/3, and Hoeffding's
  inequality bounds the mean of n of them: P(|mean - 1/3| >= eps) <= 2 exp(-2 n eps^2);
- the largest |w| of n uniform values on [-a, a] stays below a * r with probability r^n.

Each comparison gets a false-failure probability of PER_COMPARISON = 5e-8; the exercise makes
at most 20 of them, so a correct solution fails any with probability below 20 * 5e-8 = 1e-6.
"""

import math

import numpy as np

from tinygrad_cnn.grading.checks import as_array, check

PER_COMPARISON = 5e-8  # false-failure probability of one statistical comparison
INITIALIZERS = ("xavier_uniform", "xavier_normal", "he_uniform", "he_normal")


def draw(student, name, shape, seed, gain=None):
    """The student's ``name(shape, [gain,] seed)``: a finite float array of that shape."""
    kwargs = {"seed": seed} if gain is None else {"gain": gain, "seed": seed}
    args = ", ".join(
        f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in kwargs.items()
    )
    what = f"{name}({tuple(shape)}, {args})"
    w = as_array(getattr(student, name)(tuple(shape), **kwargs), what)
    check(w.shape == tuple(shape), f"{what}: expected shape {tuple(shape)}, got {w.shape}")
    check(w.dtype.kind == "f", f"{what}: expected a float array, got dtype {w.dtype}")
    check(bool(np.all(np.isfinite(w))), f"{what}: the weights contain NaN or inf")
    return w.astype(np.float64), what


def expected_variance(name, fan_in, fan_out, gain=1.0):
    """The variance each initializer aims at: 2 g^2 / (fan_in + fan_out) or 2 / fan_in."""
    if name.startswith("xavier"):
        return gain**2 * 2.0 / (fan_in + fan_out)
    return 2.0 / fan_in


def limit_of(name, fan_in, fan_out, gain=1.0):
    """The limit a of U(-a, a): sqrt(3) times the standard deviation."""
    return math.sqrt(3.0 * expected_variance(name, fan_in, fan_out, gain))


def explain_scale(name, ratio, fan_in, fan_out, gain=1.0):
    """A hint naming the likely mistake when the weights' variance is ``ratio`` times the
        right one, or "" when no usual mistake gives that ratio within 6% (all the mistakes that
    do, when several do, as on a conv whose fan_out is twice its fan_in)."""
    uniform = name.endswith("uniform")
    if name.startswith("he"):
        candidates = [
            (
                0.5,
                "the variance is 1/fan_in instead of 2/fan_in: the factor 2 that makes up "
                "for ReLU zeroing half of the units is missing",
            ),
            (
                fan_in / fan_out,
                "it looks like fan_out was used where He's initialization "
                "(mode fan_in) uses fan_in",
            ),
            (
                0.5 * fan_in / fan_out,
                "it looks like 1/fan_out: fan_out instead of fan_in, and the factor 2 missing",
            ),
            (
                2 * fan_in / (fan_in + fan_out),
                "that is Xavier's variance 2/(fan_in + fan_out), not He's 2/fan_in",
            ),
        ]
    else:
        candidates = [
            (0.5, "the variance is 1/(fan_in + fan_out) instead of 2/(fan_in + fan_out)"),
            (
                (fan_in + fan_out) / (2 * fan_in * gain**2),
                "it looks like 1/fan_in (LeCun's variance), not Xavier's 2/(fan_in + fan_out)",
            ),
            (1 / gain**2, "the gain is left out (it multiplies the standard deviation)"),
            (
                1 / gain,
                "the variance is multiplied by the gain; the gain multiplies the "
                "standard deviation, so the variance gets gain^2",
            ),
            (gain**2, "the gain is applied twice"),
        ]
    if uniform:
        candidates += [
            (
                1 / 3,
                "the limit equals the standard deviation: U(-a, a) has variance a^2/3, "
                "so a = sqrt(3) * std",
            ),
            (
                1 / 9,
                "the limit is std / sqrt(3): U(-a, a) has variance a^2/3, so a = sqrt(3) * std",
            ),
            (4.0, "the limit is twice too large: uniform(-a, a) already spans 2a"),
        ]
    hints = [
        hint
        for target, hint in candidates
        if abs(target - 1) > 0.15 and abs(ratio / target - 1) < 0.06
    ]
    return f" ({'; or '.join(hints)})" if hints else ""


def normal_tolerance(n):
    """(below, above): the relative deviations of mean(w^2) from s^2 that a correct normal
    draw of n values exceeds with probability below PER_COMPARISON in all (Laurent-Massart,
    each tail given half)."""
    t = math.log(2 / PER_COMPARISON)
    return 2 * math.sqrt(t / n), 2 * math.sqrt(t / n) + 2 * t / n


def uniform_tolerance(n):
    """The relative deviation of mean(w^2) from a^2/3 that a correct uniform draw of n values
    exceeds with probability below PER_COMPARISON (Hoeffding, both tails)."""
    return 3 * math.sqrt(math.log(2 / PER_COMPARISON) / (2 * n))


def check_variance(w, what, name, fan_in, fan_out, gain=1.0):
    """mean(w^2) is the initializer's variance within the tolerance for w.size draws."""
    target = expected_variance(name, fan_in, fan_out, gain)
    got = float(np.mean(w**2))
    if name.endswith("uniform"):
        below = above = uniform_tolerance(w.size)
    else:
        below, above = normal_tolerance(w.size)
    hint = explain_scale(name, got / target, fan_in, fan_out, gain)
    check(
        target * (1 - below) <= got <= target * (1 + above),
        f"{what}: mean(w^2) = {got:.6g}, expected the variance {target:.6g} (fan_in={fan_in}, "
        f"fan_out={fan_out}) within -{below:.2%}/+{above:.2%}; got {got / target:.4g} times "
        f"it{hint}",
    )


def check_within_limit(w, what, name, fan_in, fan_out, gain=1.0, reach=True):
    """Every |w| <= the limit a; with ``reach``, the largest |w| comes within a factor
    r = PER_COMPARISON^(1/n) of a (a correct draw stays below a * r with probability r^n)."""
    limit = limit_of(name, fan_in, fan_out, gain)
    largest = float(np.max(np.abs(w)))
    hint = explain_scale(name, (largest / limit) ** 2, fan_in, fan_out, gain)
    check(
        largest <= limit * (1 + 1e-12),
        f"{what}: |w| reaches {largest:.6g}, outside the limit {limit:.6g} (fan_in={fan_in}, "
        f"fan_out={fan_out}); the draw must stay within [-limit, limit]{hint}",
    )
    if reach:
        r = PER_COMPARISON ** (1 / w.size)
        check(
            largest >= limit * r,
            f"{what}: the largest |w| is {largest:.6g}, only {largest / limit:.4f} of the limit "
            f"{limit:.6g} (fan_in={fan_in}, fan_out={fan_out}); {w.size} uniform draws reach "
            f"beyond {r:.4f} of it{hint}",
        )
