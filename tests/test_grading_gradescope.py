"""The Gradescope autograder zip, unpacked into a folder laid out like /autograder. The zip is
made from the exercises that train nothing (QUICK), to keep the test quick."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from grading_support import QUICK, check_results_json, exercises, solved_submission

from tinygrad_cnn.cli import main


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """An exercise tree holding the QUICK exercises."""
    root = tmp_path_factory.mktemp("source")
    for exercise in exercises(QUICK):
        shutil.copytree(exercise.folder, root / exercise.folder.name)
    return root


@pytest.fixture(scope="module")
def autograder_zip(source, tmp_path_factory):
    path = tmp_path_factory.mktemp("zip") / "autograder.zip"
    assert main(["exercises", "gradescope", str(path), "--source", str(source)]) == 0
    return path


def test_the_zip_holds_the_tests_and_a_wheel_but_no_reference(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        names = archive.namelist()
        wheel = next(n for n in names if n.endswith(".whl"))
        with zipfile.ZipFile(archive.open(wheel)) as inner:
            wheel_names = inner.namelist()
        assert archive.getinfo("run_autograder").external_attr >> 16 & 0o111
    tests = {
        f"tests/{e.folder.name}/{path.name}" for e in exercises(QUICK) for path in e.test_files
    }
    assert set(names) == {"setup.sh", "run_autograder", wheel} | tests
    assert all(n.split("/")[0].startswith("tinygrad_cnn") for n in wheel_names)
    assert "tinygrad_cnn/grading/worker.py" in wheel_names
    assert not any(n.endswith(("solution.py", "test_hidden.py")) for n in wheel_names)


def test_setup_script_installs_the_wheel_and_creates_the_user(autograder_zip, tmp_path):
    with zipfile.ZipFile(autograder_zip) as archive:
        setup = archive.read("setup.sh").decode()
        wheel = next(n for n in archive.namelist() if n.endswith(".whl"))
    assert f'pip install "./{wheel}[course]"' in setup and "useradd" in setup
    script = tmp_path / "setup.sh"
    script.write_text(setup)
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0


def unpack(autograder_zip, root, submission):
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):
        (root / "source" / name).chmod(0o755)
    shutil.copytree(submission, root / "submission")
    return root


def run_autograder(root, **env):
    environment = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_TIMEOUT="120", **env)
    environment["PATH"] = f"{Path(sys.executable).parent}:{environment['PATH']}"
    subprocess.run(
        ["bash", str(root / "source" / "run_autograder")],
        env=environment, capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    return check_results_json(root / "results" / "results.json")


def test_run_autograder_grades_a_correct_and_an_empty_submission(autograder_zip, source, tmp_path):
    quick = exercises(QUICK)
    submission = solved_submission(tmp_path / "s", only=QUICK)
    solved = unpack(autograder_zip, tmp_path / "solved", submission)
    data = run_autograder(solved)
    assert data["score"] == sum(e.points for e in quick)
    assert len(data["tests"]) == sum(len(e.tests) for e in quick)
    assert {t["visibility"] for t in data["tests"]} == {"visible", "after_due_date"}

    main(["exercises", "export", str(tmp_path / "edition"), "--source", str(source)])
    empty = unpack(autograder_zip, tmp_path / "empty", tmp_path / "edition")
    data = run_autograder(empty)
    assert data["score"] == 0 and all(t["status"] == "failed" for t in data["tests"])


def test_run_autograder_writes_a_result_even_when_the_grader_cannot_start(autograder_zip, tmp_path):
    root = tmp_path / "broken"
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(root / "source")
    data = run_autograder(root)  # no submission folder at all
    assert data["score"] == 0 and "could not grade" in data["output"]


def _nobody_can_run_python():
    if os.geteuid() != 0:
        return False
    try:
        probe = subprocess.run([sys.executable, "-c", "pass"], user="nobody", capture_output=True)
    except OSError:  # e.g. this Python lives in /root
        return False
    return probe.returncode == 0


@pytest.mark.skipif(not _nobody_can_run_python(), reason="needs root and a Python 'nobody' can run")
def test_as_root_the_submission_runs_as_the_unprivileged_user(autograder_zip, tmp_path):
    submission = solved_submission(tmp_path / "s", only=QUICK)
    solved = unpack(autograder_zip, tmp_path / "solved", submission)
    data = run_autograder(solved, AUTOGRADER_USER="nobody")
    assert data["score"] == sum(e.points for e in exercises(QUICK))
    assert (solved / "source").stat().st_mode & 0o077 == 0
