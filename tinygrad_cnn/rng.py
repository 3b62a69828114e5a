"""The one random generator of tinygrad_cnn.

Everything random (``randn``, ``rand``, weight initialization, dropout masks, data shuffling)
draws from ``generator()``, so ``manual_seed(seed)`` makes a whole run repeatable. Always call
``generator()`` at the moment you draw: ``manual_seed`` replaces the generator.
"""

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Restart the generator from ``seed`` (a non-negative int)."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative integer, got {seed!r}")
    _generator = np.random.default_rng(int(seed))


def generator():
    """The current ``numpy.random.Generator``."""
    return _generator


def get_rng_state():
    """The generator's state as a JSON-friendly dict (saved in checkpoints)."""
    return _generator.bit_generator.state


def set_rng_state(state):
    """Restore a state from ``get_rng_state``: the run continues with the same random draws."""
    global _generator
    generator = np.random.default_rng()
    generator.bit_generator.state = state
    _generator = generator
