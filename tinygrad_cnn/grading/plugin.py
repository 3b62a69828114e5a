"""The pytest side of the exercises: the ``points`` marker and the ``student`` fixture.

An exercise's test asks for ``student`` and calls the student's functions through it with
plain data (numbers, numpy arrays, lists, tuples, dicts), then checks what comes back::

    @pytest.mark.points(2)
    def test_eval_mode_is_the_identity(student):
        x = np.arange(6.0).reshape(2, 3)
        out, mask = student.dropout_forward(x, p=0.5, training=False, seed=0)
        assert_close(out, x, "dropout_forward(x, training=False)")

Two ways to provide ``student``:

- ``Sandboxed`` (what ``tinygrad-cnn grade`` uses): each exercise's ``solution.py`` runs in
  a child process (``sandbox.Submission``); the tests and every check run in the grader's
  process, with a deadline per test and one for the whole run.
- this module loaded with ``-p tinygrad_cnn.grading.plugin`` (the student edition's
  ``pytest.ini`` does it): ``student`` is the ``solution.py`` beside the test file, imported
  in the test's own process. Convenient for debugging with ``pytest --pdb``; not a grade.
"""

import importlib.util
import time
from pathlib import Path

import pytest

from tinygrad_cnn.grading.sandbox import Submission


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): the points a test is worth when it passes")
    config.addinivalue_line(
        "markers", "time_limit(seconds): this test's own timeout, for long tests (training)"
    )
    from hypothesis import settings

    from tinygrad_cnn.testing import register_profiles

    register_profiles()
    settings.load_profile("grading")  # the same examples on every run: grades reproduce


def _import_solution(test_path):
    path = Path(test_path).with_name("solution.py")
    spec = importlib.util.spec_from_file_location(f"solution_{path.parent.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def student(request):
    """The student's solution.py, imported in this process (debugging mode)."""
    return _import_solution(request.path)


class Sandboxed:
    """Runs every exercise's solution in its own child process; records each test's result.

    ``folders`` maps an exercise folder name (e.g. ``10_dropout``) to the private copy of the
    student's files for it, or None when the submission has no solution for it.
    """

    def __init__(self, folders, scratch, limits, run_limit, user=None):
        self.folders = folders
        self.scratch = Path(scratch)
        self.limits = limits
        self.user = user
        self.run_deadline = time.monotonic() + run_limit
        self.run_limit = run_limit
        self.deadline = None  # of the test that runs now
        self.test_timeout = limits.timeout  # its timeout (a test may set its own: time_limit)
        self.submissions = {}
        self.results = {}  # nodeid -> dict(passed, message, notes, seconds)
        self.collection_errors = []  # (exercise, message)

    # ------------------------------------------------------------ the fixture
    @pytest.fixture(scope="module")
    def student(self, request):
        exercise = request.path.parent.name
        return self.submission(exercise)

    def submission(self, exercise):
        if exercise not in self.submissions:
            folder = self.folders.get(exercise)
            if folder is None:
                return _Missing(exercise)
            scratch = self.scratch / exercise
            scratch.mkdir(parents=True, exist_ok=True)
            self.submissions[exercise] = Submission(folder, scratch, self.limits, self.user)
            self.submissions[exercise].set_deadline(self.deadline, self.test_timeout)
        return self.submissions[exercise]

    def stop(self):
        for submission in self.submissions.values():
            submission.stop()

    # ------------------------------------------------------------ hooks
    def pytest_configure(self, config):
        from hypothesis import settings

        current = getattr(settings, "get_current_profile_name", lambda: None)
        self.previous_profile = current()  # given back at the end: grading leaves no trace
        pytest_configure(config)

    def pytest_unconfigure(self, config):
        from hypothesis import settings

        if self.previous_profile is not None:
            settings.load_profile(self.previous_profile)

    def pytest_collection_modifyitems(self, items):
        for item in items:  # (names and points: the grader reads them from the files)
            self.results[item.nodeid] = dict(passed=False, message="not run", notes=[], seconds=0.0)

    def pytest_collectreport(self, report):
        if report.failed:
            exercise = Path(report.nodeid.split("::")[0]).parent.name
            self.collection_errors.append((exercise, str(report.longrepr)[-2000:]))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        now = time.monotonic()
        if now >= self.run_deadline:
            pytest.fail(f"not run: the grading run reached its limit of {self.run_limit:g} s")
        marker = item.get_closest_marker("time_limit")
        self.test_timeout = float(marker.args[0]) if marker else self.limits.timeout
        self.deadline = min(now + self.test_timeout, self.run_deadline)
        for submission in self.submissions.values():
            submission.set_deadline(self.deadline, self.test_timeout)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        result = self.results.get(item.nodeid)
        if result is None:
            return report
        result["seconds"] += report.duration
        if call.excinfo is not None and not call.excinfo.errisinstance(pytest.skip.Exception):
            result["passed"] = False
            result["message"] = _message(call.excinfo.value)
        elif call.when == "call" and call.excinfo is None:
            result["passed"] = True
            result["message"] = ""
        result["notes"] = [value for key, value in item.user_properties if key == "note"]
        return report


class _Missing:
    """Stands for an exercise the submission has no solution.py for."""

    def __init__(self, exercise):
        self.exercise = exercise

    def __getattr__(self, name):
        from tinygrad_cnn.grading.sandbox import SubmissionError

        if name.startswith("_"):
            raise AttributeError(name)
        raise SubmissionError(f"the submission has no {self.exercise}/solution.py")


def _message(error):
    """A failure in a few lines: the check's message and hypothesis's failing example.

    When hypothesis reports several failures at once (an exception group) or a flaky one,
    the first underlying failure is shown, which is what a student can act on."""
    from tinygrad_cnn.grading.checks import CheckFailed
    from tinygrad_cnn.grading.sandbox import SubmissionError

    while getattr(error, "exceptions", None):  # an ExceptionGroup
        error = error.exceptions[0]
    if isinstance(error, (CheckFailed, SubmissionError)):
        text = str(error)
    elif isinstance(error, AssertionError):
        text = str(error) or "assertion failed"
    else:
        text = f"{type(error).__name__}: {error}"
    return "\n".join([text, *getattr(error, "__notes__", ())]).strip()
