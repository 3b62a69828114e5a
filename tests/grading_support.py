"""Shared by the grader's tests: submissions made from the repo's exercises, and a check of
Gradescope's results.json schema."""

import json
import shutil
from pathlib import Path

from tinygrad_cnn.grading.exercises import BEGIN, END, find_exercises

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
WRONG = Path(__file__).resolve().parent / "grading" / "wrong"
HOSTILE = Path(__file__).resolve().parent / "grading" / "hostile"


QUICK = ("06_vanishing_gradients", "09_l2_regularization", "10_dropout")  # no training


def exercises(only=None):
    """The repo's exercises, or those whose folder names are in ``only``."""
    return [e for e in find_exercises(EXERCISES) if only is None or e.folder.name in only]


def solved_submission(folder, replace=None, append=None, only=None):
    """A submission in ``folder``: the reference solutions without their markers (as a
    student who solved everything would hand in), except for the exercises (folder names) in
    ``replace``: {name: a file to use instead} and ``append``: {name: a file whose functions
    replace the reference's, appended to it}. ``only``: just these exercises."""
    replace, append = replace or {}, append or {}
    for exercise in exercises(only):
        target = folder / exercise.folder.name
        target.mkdir(parents=True)
        if exercise.folder.name in replace:
            shutil.copyfile(replace[exercise.folder.name], target / "solution.py")
            continue
        lines = (exercise.folder / "solution.py").read_text().splitlines(keepends=True)
        text = "".join(ln for ln in lines if ln.strip() not in (BEGIN, END))
        if exercise.folder.name in append:
            text += "\n\n" + Path(append[exercise.folder.name]).read_text()
        (target / "solution.py").write_text(text)
    return folder


def copy_tests_only(folder, only=None):
    """The tests of the exercises without the reference solutions, laid out as in the
    Gradescope zip (what a grading machine holds). ``only``: just these exercises."""
    for exercise in exercises(only):
        target = folder / exercise.folder.name
        target.mkdir(parents=True)
        for path in exercise.test_files:
            shutil.copyfile(path, target / path.name)
    return folder


def check_results_json(path_or_dict):
    """Gradescope's results.json: the fields and types it requires, scores that add up."""
    data = path_or_dict
    if not isinstance(data, dict):
        data = json.loads(Path(path_or_dict).read_text())
    assert isinstance(data["score"], (int, float))
    assert isinstance(data["execution_time"], (int, float)) and data["execution_time"] >= 0
    assert isinstance(data["output"], str)
    assert isinstance(data["tests"], list)
    for test in data["tests"]:
        assert set(test) >= {
            "name", "number", "score", "max_score", "status", "output", "visibility", "tags",
        }  # fmt: skip
        assert isinstance(test["name"], str) and isinstance(test["number"], str)
        assert 0 <= test["score"] <= test["max_score"]
        assert test["status"] in ("passed", "failed")
        assert (test["status"] == "passed") == (test["score"] == test["max_score"]) or (
            test["max_score"] == 0
        )
        assert test["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
        assert isinstance(test["output"], str) and isinstance(test["tags"], list)
    assert abs(data["score"] - sum(t["score"] for t in data["tests"])) < 1e-9
    return data


def scores_by_exercise(data):
    """{exercise folder name: (score, max score)} from a results.json dict."""
    totals = {}
    for test in data["tests"]:
        score, most = totals.get(test["tags"][0], (0.0, 0.0))
        totals[test["tags"][0]] = (score + test["score"], most + test["max_score"])
    return totals
