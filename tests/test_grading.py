"""The autograder on the repo's exercises: references, the student edition, wrong solutions."""

import ast
import re

import pytest
from grading_support import (
    EXERCISES,
    QUICK,
    WRONG,
    check_results_json,
    copy_tests_only,
    exercises,
    solved_submission,
)

from tinygrad_cnn.cli import main
from tinygrad_cnn.grading import exercises as exercise_tree
from tinygrad_cnn.grading.grader import grade, gradescope_results
from tinygrad_cnn.grading.sandbox import Limits

# Correct code is graded with a generous timeout: on a loaded machine a test of correct code
# must not fail for time (the timeouts themselves are tested with hostile code).
GENEROUS = Limits(timeout=120)


def run_grade(capsys, *argv):
    assert main(["grade", *map(str, argv), "--timeout", str(GENEROUS.timeout)]) == 0
    return capsys.readouterr().out


# ----------------------------------------------------------------- the exercise tree
def test_every_exercise_is_complete_and_every_test_has_points():
    found = exercises()
    assert len({e.name for e in found}) == len(found)  # names are unique across numbers
    for exercise in found:
        for name in ("README.md", "solution.py", "test_visible.py", "test_hidden.py"):
            assert (exercise.folder / name).is_file(), f"{exercise.folder} lacks {name}"
        source = (exercise.folder / "solution.py").read_text()
        assert source.count(exercise_tree.BEGIN) == source.count(exercise_tree.END) >= 1
        assert exercise.title and exercise.topic
        visible = [t for t in exercise.tests if not t.hidden]
        hidden = [t for t in exercise.tests if t.hidden]
        assert visible and hidden
        assert sum(t.points for t in hidden) > 0 and sum(t.points for t in visible) > 0
        for path in (exercise.folder / "test_visible.py", exercise.folder / "test_hidden.py"):
            text = path.read_text()
            tests = re.findall(r"^def (test\w*)", text, re.M)
            assert len(tests) == len(exercise_tree.test_points(path))
            assert text.count("@pytest.mark.points(") == len(tests), f"{path}: a test lacks points"


def test_each_statement_states_the_points_its_tests_carry():
    for exercise in exercises():
        text = (exercise.folder / "README.md").read_text()
        rows = dict(re.findall(r"^\| `?(.+?)`?(?: \(.*?\))? \| \**([\d.]+)\** \|$", text, re.M))
        for test in exercise.tests:
            if not test.hidden:
                assert float(rows[test.name]) == test.points, (exercise.name, test.name)
        hidden = next(float(v) for k, v in rows.items() if k.startswith("hidden tests"))
        assert hidden == sum(t.points for t in exercise.tests if t.hidden), exercise.name
        assert float(rows["**total**"]) == exercise.points, exercise.name


def test_the_course_is_worth_100_points_and_the_map_lists_every_exercise():
    assert sum(e.points for e in exercises()) == 100
    course_map = (EXERCISES / "README.md").read_text()
    for exercise in exercises():
        row = next(ln for ln in course_map.splitlines() if f"`{exercise.folder.name}/`" in ln)
        assert row.rstrip(" |").endswith(f"| {exercise.points:g}"), row


def test_exercises_list_shows_points_and_topics(capsys):
    assert main(["exercises", "list", "--tests", str(EXERCISES)]) == 0
    out = capsys.readouterr().out
    for exercise in exercises():
        line = next(ln for ln in out.splitlines() if ln.startswith(exercise.folder.name))
        assert f"{exercise.points:g} points" in line and exercise.title in line
    total = sum(e.points for e in exercises())
    assert out.splitlines()[-1].split()[:2] == ["total", f"{total:g}"]


def test_strip_solutions_names_the_exercise_and_function():
    source = (
        "def area(r):\n"
        '    """pi r^2."""\n'
        "    ### BEGIN SOLUTION\n"
        "    return 3.14159 * r * r\n"
        "    ### END SOLUTION\n"
    )
    method = (
        "class Disc:\n    def area(self):\n        ### BEGIN SOLUTION\n        ### END SOLUTION\n"
    )
    assert 'NotImplementedError("circles: implement Disc.area")' in exercise_tree.strip_solutions(
        method, "circles"
    )
    stub = exercise_tree.strip_solutions(source, "circles")
    assert stub == (
        'def area(r):\n    """pi r^2."""\n'
        '    raise NotImplementedError("circles: implement area")\n'
    )
    for broken in (source.replace("    ### END SOLUTION\n", ""), "    ### END SOLUTION\n"):
        with pytest.raises(ValueError, match="SOLUTION"):
            exercise_tree.strip_solutions(broken, "circles")


def test_export_holds_no_reference_line_and_no_hidden_test(tmp_path, capsys):
    out = tmp_path / "student"
    assert main(["exercises", "export", str(out), "--source", str(EXERCISES)]) == 0
    exported = {p.relative_to(out): p.read_text() for p in out.rglob("*") if p.is_file()}
    everything = "\n".join(exported.values())
    assert not any(p.name == "test_hidden.py" for p in exported)
    for exercise in exercises():
        mine = [t for p, t in exported.items() if p.parts[0] == exercise.folder.name]
        exported_lines = {ln.strip() for text in mine for ln in text.splitlines()}
        source = (exercise.folder / "solution.py").read_text()
        # lines the instructor shows on purpose: given code, the statement, visible tests
        shown = exercise_tree.strip_solutions(source, "x") + "".join(
            p.read_text() for p in exercise.test_files + [exercise.folder / "README.md"]
            if p.name != "test_hidden.py"
        )  # fmt: skip
        shown_lines = {ln.strip() for ln in shown.splitlines()}
        for line in map(str.strip, exercise_tree.solution_lines(source)):
            if line not in shown_lines:
                assert line not in exported_lines, f"reference line exported: {line!r}"
        for test in exercise.tests:
            if test.hidden:
                assert test.name not in everything, f"hidden test named: {test.name}"
        stub = exported[exercise.folder.relative_to(EXERCISES) / "solution.py"]
        assert f'NotImplementedError("{exercise.name}: implement ' in stub
        assert (out / exercise.folder.name / "README.md").exists()
        assert (out / exercise.folder.name / "test_visible.py").exists()
    assert main(["exercises", "export", str(out), "--source", str(EXERCISES)]) == 2
    assert "already exists" in capsys.readouterr().err


# ----------------------------------------------------------------- grading
@pytest.fixture(scope="module")
def reference_report(tmp_path_factory, mnist_dir):
    """Every reference graded; the capstone trains on real MNIST (skipped without it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TINYGRAD_CNN_DATA", str(mnist_dir))
        return grade(
            solved_submission(tmp_path_factory.mktemp("solved")), EXERCISES, limits=GENEROUS
        )


def test_the_references_score_full_marks(reference_report):
    failed = [(t.exercise, t.name, t.message) for t in reference_report.tests if not t.passed]
    assert not failed
    assert (
        reference_report.score == reference_report.max_score == sum(e.points for e in exercises())
    )
    check_results_json(gradescope_results(reference_report))
    for exercise, seconds in reference_report.exercise_seconds.items():
        assert seconds > 0, exercise


def test_results_json_lists_every_test_with_its_visibility(reference_report, tmp_path):
    data = check_results_json(gradescope_results(reference_report))
    expected = [(e.folder.name, t.name, t.hidden) for e in exercises() for t in e.tests]
    got = [
        (t["tags"][0], t["name"].split(": ")[1], t["visibility"] != "visible")
        for t in data["tests"]
    ]
    assert got == expected
    assert [t["number"] for t in data["tests"]] == [str(i + 1) for i in range(len(expected))]
    explanation = next(t for t in data["tests"] if t["name"].endswith("explanation_is_recorded"))
    assert "s'(z)" in explanation["output"] or "sigmoid" in explanation["output"].lower()


def test_the_student_edition_scores_zero_and_each_stub_names_its_exercise(tmp_path, capsys):
    student = tmp_path / "student"
    main(["exercises", "export", str(student), "--source", str(EXERCISES)])
    capsys.readouterr()
    results = tmp_path / "results.json"
    table = run_grade(capsys, student, "--tests", EXERCISES, "--json", results)
    data = check_results_json(results)
    assert data["score"] == 0 and len(data["tests"]) == sum(len(e.tests) for e in exercises())
    for exercise in exercises():
        messages = [t["output"] for t in data["tests"] if t["tags"] == [exercise.folder.name]]
        assert any(f"NotImplementedError: {exercise.name}: implement" in m for m in messages)
    assert "total: 0 /" in table
    # without --tests, a student grades the visible tests they have
    visible = run_grade(capsys, student)
    assert "test_hidden" not in visible
    assert f"0 / {sum(t.points for e in exercises() for t in e.tests if not t.hidden):g}" in visible


def wrong_solutions():
    """{exercise folder: (the wrong functions' file, the symptom its messages must name)}."""
    found = {}
    for path in sorted(WRONG.glob("*.py")):
        tree = ast.parse(path.read_text())
        symptom = next(
            ast.literal_eval(node.value)
            for node in tree.body
            if isinstance(node, ast.Assign) and node.targets[0].id == "SYMPTOM"
        )
        found[path.stem] = (path, symptom)
    return found


def test_every_exercise_has_a_wrong_solution():
    assert sorted(wrong_solutions()) == [e.folder.name for e in exercises()]


@pytest.mark.parametrize("folder", sorted(wrong_solutions()))
def test_a_wrong_solution_scores_between_zero_and_full_and_says_why(
    folder, tmp_path, request, monkeypatch
):
    if folder == "12_capstone":  # its tests load real MNIST
        monkeypatch.setenv("TINYGRAD_CNN_DATA", str(request.getfixturevalue("mnist_dir")))
    path, symptom = wrong_solutions()[folder]
    submission = solved_submission(tmp_path / "sub", append={folder: path}, only=[folder])
    report = grade(submission, EXERCISES, only=folder, limits=GENEROUS)
    assert 0 < report.score < report.max_score
    failures = [t.message for t in report.tests if not t.passed]
    assert any(symptom in message for message in failures), failures
    assert all("Traceback" not in message for message in failures)
    check_results_json(gradescope_results(report))


def test_grade_only_one_exercise_and_unknown_names(tmp_path, capsys):
    submission = solved_submission(tmp_path / "sub", only=QUICK)
    out = run_grade(capsys, submission, "--tests", EXERCISES, "--only", "dropout")
    assert "10_dropout" in out and "06_vanishing" not in out and "(100%)" in out
    assert main(["grade", str(submission), "--tests", str(EXERCISES), "--only", "nope"]) == 2
    assert "--only nope: no such exercise" in capsys.readouterr().err


def test_a_missing_solution_fails_that_exercise_only(tmp_path):
    submission = solved_submission(tmp_path / "sub", only=QUICK)
    (submission / "10_dropout" / "solution.py").unlink()
    report = grade(submission, copy_tests_only(tmp_path / "tests", only=QUICK), limits=GENEROUS)
    by_exercise = {}
    for t in report.tests:
        by_exercise.setdefault(t.exercise, []).append(t)
    assert not any(t.passed for t in by_exercise["10_dropout"])
    assert "has no 10_dropout/solution.py" in by_exercise["10_dropout"][0].message
    assert all(t.passed for t in by_exercise["09_l2_regularization"])


def test_a_submission_wrapped_in_one_more_folder_is_found(tmp_path):
    solved_submission(tmp_path / "sub" / "my-course", only=QUICK)
    report = grade(tmp_path / "sub", EXERCISES, only="dropout", limits=GENEROUS)
    assert report.score == report.max_score > 0


def test_the_run_limit_fails_what_it_could_not_run(tmp_path):
    submission = solved_submission(tmp_path / "sub", only=QUICK)
    report = grade(submission, EXERCISES, run_limit=1e-3)
    assert report.score == 0 and report.tests
    assert all("reached its limit" in t.message for t in report.tests)
    check_results_json(gradescope_results(report))


def test_grading_that_cannot_start_still_writes_results_json(tmp_path, capsys):
    results = tmp_path / "results.json"
    code = main(["grade", str(tmp_path / "missing"), "--tests", str(EXERCISES),
                 "--json", str(results)])  # fmt: skip
    assert code == 2 and "is not a folder" in capsys.readouterr().err
    data = check_results_json(results)
    assert data["score"] == 0 and "could not grade" in data["output"]


def test_bad_grade_options_give_one_line(tmp_path, capsys):
    assert main(["grade", str(tmp_path), "--timeout", "0"]) == 2
    assert "must be positive" in capsys.readouterr().err
    assert main(["grade", str(tmp_path), "--tests", str(EXERCISES), "--user", "no-such-user"]) == 2
    assert "no such user" in capsys.readouterr().err
