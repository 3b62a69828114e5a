"""README's commands and .ci/run must stay in step."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands():
    return re.findall(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S)


def test_ci_runs_the_readme_test_command():
    """.ci/run holds the README's test command, one step a line (so that `set -e` stops at the
    first failing step: inside `a && b` it does not)."""
    steps = next(c for c in readme_commands() if "pytest" in c).split(" && ")
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    start = lines.index(steps[0])
    assert lines[start : start + len(steps)] == steps


def test_readme_main_job_uses_an_existing_subcommand():
    from tinygrad_cnn.cli import build_parser

    main_job = next(c for c in readme_commands() if "tinygrad-cnn" in c)
    subcommand = main_job.split("tinygrad-cnn")[-1].split()[0]
    assert subcommand in build_parser()._subparsers._group_actions[0].choices
