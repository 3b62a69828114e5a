"""Hypothesis profiles.

- ``ci``: deterministic (derandomized: the same examples on every run and machine), no
  deadline (the first call of a kernel may compile), a bounded number of examples.
- ``dev``: more examples, random each run, for hunting bugs locally.
- ``grading``: ``ci`` for the exercises' tests under the grader: no explanation phase and no
  reproduction blob, whose file paths and internals mean nothing to a student.

Choose one with ``settings.load_profile(name)``; tests/conftest.py loads the one named by
``$TINYGRAD_CNN_PROFILE`` (default ``ci``).
"""

from hypothesis import HealthCheck, Phase, settings


def register_profiles():
    settings.register_profile(
        "ci",
        derandomize=True,
        deadline=None,
        max_examples=25,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    settings.register_profile(
        "grading",
        settings.get_profile("ci"),
        print_blob=False,
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    )
    settings.register_profile(
        "dev",
        deadline=None,
        max_examples=200,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
