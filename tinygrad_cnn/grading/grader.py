"""A whole grading run: which tests, whose code, the verdict, the table and results.json.

``grade(submission, tests)`` copies the tests into a private folder (never readable by the
submission's process when it runs as another user), copies each exercise's ``.py`` files from
the submission into a folder of their own, and runs pytest **in this process** on the tests
with ``plugin.Sandboxed``: the tests and their checks run here, the student's functions in
child processes. The verdict of each test is what pytest saw here; nothing the student's code
prints, writes or patches in its own process reaches it.

Every test found in the test files (read with ``ast``) is listed in the result, whatever
happened: a test that could not run is a failed test with the reason.
"""

import json
import os
import pwd
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tinygrad_cnn.grading.exercises import HIDDEN, VISIBLE, find_exercises
from tinygrad_cnn.grading.sandbox import Limits, collecting_leftovers
from tinygrad_cnn.serialization import atomic_file


@dataclass
class TestResult:
    exercise: str  # folder name, e.g. 10_dropout
    name: str
    max_points: float
    hidden: bool
    passed: bool
    message: str = ""
    notes: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def points(self):
        return self.max_points if self.passed else 0.0


@dataclass
class Report:
    tests: list
    seconds: float
    outputs: dict  # exercise folder -> what the student's code printed (truncated)

    @property
    def exercise_seconds(self):
        """Seconds the tests of each exercise took (its child process starts in the first)."""
        seconds = {}
        for t in self.tests:
            seconds[t.exercise] = seconds.get(t.exercise, 0.0) + t.seconds
        return seconds

    @property
    def score(self):
        return sum(t.points for t in self.tests)

    @property
    def max_score(self):
        return sum(t.max_points for t in self.tests)


def grade(submission, tests=None, only=None, limits=None, run_limit=600.0, user=None):
    """Grade the solutions in the folder ``submission`` with the tests in ``tests`` (default:
    the visible tests found in ``submission``). ``only``: an exercise name or folder."""
    started = time.monotonic()
    submission = Path(submission)
    if not submission.is_dir():
        raise ValueError(f"{submission} is not a folder")
    exercises = every = find_exercises(tests if tests is not None else submission)
    if only is not None:
        exercises = [e for e in every if e.matches(only)]
        if not exercises:
            names = ", ".join(e.name for e in every)
            raise ValueError(f"--only {only}: no such exercise (there are: {names})")
    if user is not None:
        _check_user(user)
    limits = limits or Limits()

    workspace = Path(tempfile.mkdtemp(prefix="tinygrad-cnn-grade-"))
    try:
        plugin = _run_pytest(exercises, submission, workspace, limits, run_limit, user)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    results = []
    for exercise in exercises:
        broken = dict(plugin.collection_errors).get(exercise.folder.name)
        for test in exercise.tests:
            found = plugin.results.get(_nodeid(exercise, test))
            if found is None:
                why = "could not be loaded" + (f": {broken}" if broken else "")
                found = dict(passed=False, message=f"the test file {why}", notes=[], seconds=0.0)
            results.append(
                TestResult(
                    exercise=exercise.folder.name,
                    name=test.name,
                    max_points=test.points,
                    hidden=test.hidden,
                    passed=found["passed"],
                    message=found["message"],
                    notes=found["notes"],
                    seconds=found["seconds"],
                )
            )
    outputs = {e: s.captured_output() for e, s in plugin.submissions.items()}
    return Report(results, time.monotonic() - started, outputs)


def _nodeid(exercise, test):
    filename = HIDDEN if test.hidden else VISIBLE
    return f"{exercise.folder.name}/{filename}::{test.name}"


def _check_user(user):
    try:
        pwd.getpwnam(user)
    except KeyError:
        raise ValueError(f"--user {user}: no such user on this machine") from None
    if os.geteuid() != 0:
        raise ValueError(f"--user {user}: running the submission as another user needs root")


def _find_solution_folder(submission, exercise):
    """The submission's folder for ``exercise``: SUBMISSION/10_dropout, or one level deeper
    (a zip that wraps everything in a folder of its own)."""
    for candidate in [
        submission / exercise.folder.name,
        *submission.glob(f"*/{exercise.folder.name}"),
    ]:
        if (candidate / "solution.py").is_file():
            return candidate
    return None


def _run_pytest(exercises, submission, workspace, limits, run_limit, user):
    try:
        import hypothesis  # noqa: F401  (the exercises' tests use it)
        import pytest
    except ImportError:
        raise ValueError(
            "grading needs pytest and hypothesis: pip install 'tinygrad_cnn[course]'"
        ) from None

    from tinygrad_cnn.grading.plugin import Sandboxed

    tests_root, code_root, scratch = workspace / "tests", workspace / "code", workspace / "scratch"
    tests_root.mkdir(mode=0o700)
    code_root.mkdir()
    scratch.mkdir()
    folders = {}
    for exercise in exercises:
        (tests_root / exercise.folder.name).mkdir()
        for path in exercise.test_files:
            shutil.copyfile(path, tests_root / exercise.folder.name / path.name)
        found = _find_solution_folder(submission, exercise)
        if found is not None:
            private = code_root / exercise.folder.name
            private.mkdir()
            for path in found.glob("*.py"):
                if path.is_file() and not path.name.startswith("test_"):
                    shutil.copyfile(path, private / path.name)
            folders[exercise.folder.name] = private
    if user is not None:
        _hand_over(workspace, code_root, scratch, pwd.getpwnam(user))
    ini = tests_root / "pytest.ini"  # test files import their exercise's helpers by name
    test_folders = " ".join(e.folder.name for e in exercises)
    ini.write_text(f"[pytest]\npythonpath = {test_folders}\n", encoding="utf-8")

    plugin = Sandboxed(folders, scratch, limits, run_limit, user)
    args = [
        str(tests_root), "-c", str(ini), "--rootdir", str(tests_root),
        "--import-mode=importlib", "-p", "no:cacheprovider", "-p", "no:terminal",
        "-p", "no:stepwise", "-W", "ignore",
    ]  # fmt: skip
    with collecting_leftovers():
        try:
            pytest.main(args, plugins=[plugin])
        finally:
            plugin.stop()
    return plugin


def _hand_over(workspace, code_root, scratch, account):
    """Let ``account`` read the code and write the scratch folders, and nothing else here."""
    workspace.chmod(0o711)
    code_root.chmod(0o755)
    for path in code_root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    os.chown(scratch, account.pw_uid, account.pw_gid)


# ----------------------------------------------------------------- what is shown
def format_table(report, width=60):
    """The table a student reads: one line per test, then each failure in full."""
    rows = [("exercise", "test", "points", "status", "message")]
    for t in report.tests:
        first = t.message.splitlines()[0] if t.message else ""
        first = first if len(first) <= width else first[: width - 3] + "..."
        status = "passed" if t.passed else "FAILED"
        rows.append((t.exercise, t.name, f"{t.points:g}/{t.max_points:g}", status, first))
    sizes = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(s) for c, s in zip(r[:4], sizes)) + "  " + r[4] for r in rows]
    lines.insert(1, "-" * min(sum(sizes) + 8 + width, 160))
    failures = [t for t in report.tests if not t.passed and t.message]
    if failures:
        lines.append("")
        for t in failures:
            lines.append(f"{t.exercise}::{t.name}")
            lines += ["    " + ln for ln in t.message.splitlines()]
    notes = [t for t in report.tests if t.notes]
    for t in notes:
        lines.append(f"{t.exercise}::{t.name} says: " + " ".join(t.notes))
    percent = 100 * report.score / report.max_score if report.max_score else 0.0
    lines.append("")
    lines.append(
        f"total: {report.score:g} / {report.max_score:g} points ({percent:.0f}%), "
        f"graded in {report.seconds:.1f} s"
    )
    return "\n".join(lines)


def gradescope_results(report):
    """Gradescope's results.json as a dict (score, execution_time, output, tests[])."""
    tests = []
    for number, t in enumerate(report.tests, start=1):
        output = t.message if not t.passed else ""
        if t.notes:
            output = (output + "\n" if output else "") + "\n".join(t.notes)
        tests.append(
            dict(
                name=f"{t.exercise}: {t.name}",
                number=str(number),
                score=t.points,
                max_score=t.max_points,
                status="passed" if t.passed else "failed",
                output=output,
                visibility="after_due_date" if t.hidden else "visible",
                tags=[t.exercise],
            )
        )
    printed = [
        f"--- what {exercise}/solution.py printed (not part of the grade) ---\n{text}"
        for exercise, text in report.outputs.items()
        if text.strip()
    ]
    summary = (
        f"{report.score:g} / {report.max_score:g} points; "
        f"{sum(t.passed for t in report.tests)} of {len(report.tests)} tests passed."
    )
    return dict(
        score=report.score,
        execution_time=round(report.seconds, 3),
        output="\n\n".join([summary, *printed]),
        visibility="visible",
        stdout_visibility="hidden",
        tests=tests,
    )


def failed_results(reason, seconds=0.0):
    """results.json for a run that could not grade at all: score 0 and the reason."""
    return dict(
        score=0.0,
        execution_time=round(seconds, 3),
        output=f"The autograder could not grade this submission: {reason}",
        visibility="visible",
        stdout_visibility="hidden",
        tests=[],
    )


def write_json(data, path):
    """Write ``data`` to ``path`` atomically (a temporary file renamed into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as file:
        file.write((json.dumps(data, indent=2) + "\n").encode("utf-8"))
