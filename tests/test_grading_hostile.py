"""The grader against hostile submissions (tests/grading/hostile/): each is graded as exercise
06's solution beside correct solutions of 09 and 10 (the exercises that train nothing, to keep
this quick), through the command line, with the tests laid out as on a grading machine (no
reference solution anywhere). Nothing it does may earn it a point or cost the other exercises
one, and results.json is always complete and valid."""

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from grading_support import (
    HOSTILE,
    QUICK,
    check_results_json,
    copy_tests_only,
    exercises,
    scores_by_exercise,
    solved_submission,
)

ATTACKED = "06_vanishing_gradients"
TIMEOUT = 3  # seconds per test
CASES = {  # case: what the attacked exercise's failure messages say (slowest first)
    "loop_forever": f"chain_gradients timed out after {TIMEOUT} s",
    "allocate_forever": "raised MemoryError",
    "segfault": "ended with signal SIGSEGV",
    "os_exit": "ended with exit status 0 before replying",
    "loop_at_import": f"importing solution.py took more than {TIMEOUT} s",
    "raise_anything": "raised SystemExit",
    "syntax_error": "could not be imported: SyntaxError",
    "import_error": "could not be imported: ModuleNotFoundError",
    "print_megabytes": "raised NotImplementedError",
    "forge_results": "raised NotImplementedError",
    "monkeypatch": "expected a pair",
    "garbage_reply": "sent no valid reply",
    "read_reference": "raised NotImplementedError",
}


def grade_case(case, root):
    folder = root / case
    submission = solved_submission(
        folder / "submission", {ATTACKED: HOSTILE / f"{case}.py"}, only=QUICK
    )
    tests = copy_tests_only(folder / "tests", only=QUICK)
    results = folder / "results" / "results.json"
    command = [
        sys.executable, "-m", "tinygrad_cnn", "grade", str(submission), "--tests", str(tests),
        "--json", str(results), "--timeout", str(TIMEOUT), "--memory", "512",
    ]  # fmt: skip
    started = time.monotonic()
    run = subprocess.run(command, capture_output=True, text=True, cwd=folder, timeout=600)
    return dict(run=run, results=results, seconds=time.monotonic() - started, folder=folder)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every case graded once, two at a time (the grader mostly waits on its children)."""
    root = tmp_path_factory.mktemp("hostile")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {case: pool.submit(grade_case, case, root) for case in CASES}
        outcomes = {case: future.result() for case, future in futures.items()}
    for case, outcome in outcomes.items():  # shown with pytest -s
        print(f"hostile {case}: graded in {outcome['seconds']:.1f} s")
    return outcomes


def test_every_hostile_file_has_a_case():
    assert sorted(p.stem for p in HOSTILE.glob("*.py")) == sorted(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_submission_earns_nothing_and_costs_the_others_nothing(graded, case):
    outcome = graded[case]
    assert outcome["run"].returncode == 0, outcome["run"].stderr[-2000:]
    data = check_results_json(outcome["results"])
    assert len(data["tests"]) == sum(len(e.tests) for e in exercises(QUICK))
    scores = scores_by_exercise(data)
    for exercise, (score, most) in scores.items():
        assert score == (0 if exercise == ATTACKED else most), (exercise, score, most)
    messages = [t["output"] for t in data["tests"] if t["tags"] == [ATTACKED]]
    assert any(CASES[case] in m for m in messages), messages
    assert all("Traceback" not in m for m in messages)
    assert data["score"] == sum(most for e, (_, most) in scores.items() if e != ATTACKED)


def test_a_loop_fails_only_the_tests_that_reach_it(graded):
    data = json.loads(graded["loop_forever"]["results"].read_text())
    messages = [t["output"] for t in data["tests"] if t["tags"] == [ATTACKED]]
    timed_out = [m for m in messages if "timed out" in m]
    assert 0 < len(timed_out) < len(messages)  # the others ran: NotImplementedError
    assert any("layer_gradient_norms raised NotImplementedError" in m for m in messages)


def test_megabytes_of_output_are_truncated(graded):
    outcome = graded["print_megabytes"]
    data = json.loads(outcome["results"].read_text())
    assert "more bytes of output not shown" in data["output"]
    assert outcome["results"].stat().st_size < 200_000
    assert len(outcome["run"].stdout) < 200_000


def test_forged_results_are_replaced_and_the_forger_left_behind_is_stopped(graded):
    outcome = graded["forge_results"]
    written = outcome["results"].read_text()
    time.sleep(1.0)  # the daemon it started would rewrite the file every 0.25 s for 10 s
    assert outcome["results"].read_text() == written
    assert json.loads(written)["score"] < 1000
    assert not (outcome["folder"] / "results.json").exists()  # the grader's working directory


def test_no_reference_is_reachable_from_a_grading_machine(graded):
    """read_reference searches its path, its folders and the grader's command line."""
    data = json.loads(graded["read_reference"]["results"].read_text())
    assert scores_by_exercise(data)[ATTACKED][0] == 0
    assert not list(Path(graded["read_reference"]["folder"] / "tests").rglob("solution.py"))
