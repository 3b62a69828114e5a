"""How long grading takes: the reference solutions and the student edition (all stubs).

    python benchmarks/bench_grading.py [--runs 3]

Prints, for each exercise, the median over the runs of the seconds its tests took (each
exercise's child process starts inside its first test), and the median of the whole run's
wall time. There is nothing to compare with in PyTorch.
"""

import argparse
import statistics
import tempfile
from pathlib import Path

from tinygrad_cnn.grading.exercises import export
from tinygrad_cnn.grading.grader import grade

EXERCISES = Path(__file__).resolve().parent.parent / "exercises"


def measure(submission, runs):
    reports = [grade(submission, EXERCISES) for _ in range(runs)]
    for report in reports:
        assert not report.tests or report.max_score > 0
    per_exercise = {
        name: statistics.median(r.exercise_seconds[name] for r in reports)
        for name in reports[0].exercise_seconds
    }
    return per_exercise, statistics.median(r.seconds for r in reports), reports[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        edition = Path(scratch) / "student"
        export(EXERCISES, edition)
        for label, submission in (("reference", EXERCISES), ("student edition", edition)):
            per_exercise, total, report = measure(submission, args.runs)
            print(f"{label}: {report.score:g} / {report.max_score:g} points")
            for name, seconds in per_exercise.items():
                print(f"  {name:<26} {seconds:6.2f} s")
            print(f"  {'whole run (wall)':<26} {total:6.2f} s   (median of {args.runs})")


if __name__ == "__main__":
    main()
