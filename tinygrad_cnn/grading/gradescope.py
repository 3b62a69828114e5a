"""The Gradescope autograder zip.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once to build the
image, then for each submission runs ``run_autograder``, which must leave
``/autograder/results/results.json``. Ours holds:

- ``tinygrad_cnn-<version>-py3-none-any.whl``: this package, built from the checkout (the
  wheel holds the package only: no exercise, no reference solution);
- ``tests/NN_name/``: every exercise's visible and hidden tests and their helpers;
- ``setup.sh``: a virtual environment with the wheel (and pytest, hypothesis), and an
  unprivileged ``student`` user to run submissions as;
- ``run_autograder``: ``tinygrad-cnn grade`` on ``/autograder/submission`` with the hidden
  tests, as that user, writing ``results.json``; if the grader cannot even start, it still
  writes a results.json with score 0 and the reason.

The paths can be moved with ``AUTOGRADER_ROOT`` (default ``/autograder``), which is how the
tests run it in a temporary folder.
"""

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from tinygrad_cnn.grading.exercises import find_exercises

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
cd "$(dirname "$0")"
if ! python3 -m venv --help >/dev/null 2>&1; then
    apt-get update -y && apt-get install -y python3 python3-venv python3-pip
fi
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --upgrade pip
/autograder/venv/bin/pip install "./{wheel}[course]"
# MNIST, for the tests that train a network (into root's ~/.cache/tinygrad_cnn/mnist)
/autograder/venv/bin/python -c "from tinygrad_cnn.data import load_mnist; load_mnist()"
# Submissions run as this user, who can read the submission and nothing of the grader's.
id -u student >/dev/null 2>&1 || useradd --no-create-home --shell /usr/sbin/nologin student
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission. The verdict is tinygrad-cnn grade's alone: it
# runs the student's code in child processes and writes results.json itself.
set -uo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
results="$root/results/results.json"
mkdir -p "$root/results"
grader="$root/venv/bin/tinygrad-cnn"
[ -x "$grader" ] || grader="$(command -v tinygrad-cnn)"
as_user=()
if [ "$(id -u)" = 0 ] && id -u "${AUTOGRADER_USER:-student}" >/dev/null 2>&1; then
    as_user=(--user "${AUTOGRADER_USER:-student}")
    chmod -R go-rwx "$root/source"  # the hidden tests stay out of the student's reach
fi
"$grader" grade "$root/submission" --tests "$root/source/tests" --json "$results" \\
    --timeout "${AUTOGRADER_TIMEOUT:-10}" "${as_user[@]}"
status=$?
if [ ! -s "$results" ]; then
    why="The autograder failed (exit status $status) before it wrote any result."
    printf '{"score": 0, "output": "%s", "tests": []}\\n' "$why" >"$results"
fi
exit 0
"""


def project_root():
    """The checkout this package runs from (it has pyproject.toml), needed to build the wheel."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").exists():
        raise ValueError(
            "exercises gradescope builds the package's wheel, so it must run from a checkout "
            "of tinygrad_cnn (pip install -e .)"
        )
    return root


def build_wheel(into):
    """Build this package's wheel into the folder ``into``; its path."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "--wheel-dir", str(into), str(project_root())],
        capture_output=True, text=True,
    )  # fmt: skip
    wheels = sorted(Path(into).glob("tinygrad_cnn-*.whl"))
    if result.returncode != 0 or not wheels:
        raise ValueError(
            "building the wheel failed (it needs the 'wheel' package: "
            f"pip install 'tinygrad_cnn[course]'): {result.stderr.strip()[-300:]}"
        )
    return wheels[0]


def build_autograder_zip(source_root, out_zip):
    """Write the autograder zip for the exercises in ``source_root``; the exercises."""
    out_zip = Path(out_zip)
    if out_zip.suffix != ".zip":
        raise ValueError(f"{out_zip}: the autograder must be a .zip file")
    if out_zip.exists():
        raise ValueError(f"{out_zip} already exists; choose another name")
    exercises = find_exercises(source_root)
    with tempfile.TemporaryDirectory() as scratch:
        wheel = build_wheel(scratch)
        partial = out_zip.with_name(out_zip.name + ".partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            _add(archive, "setup.sh", SETUP_SH.format(wheel=wheel.name), executable=True)
            _add(archive, "run_autograder", RUN_AUTOGRADER, executable=True)
            archive.write(wheel, wheel.name)
            for exercise in exercises:
                for path in exercise.test_files:
                    archive.write(path, f"tests/{exercise.folder.name}/{path.name}")
        shutil.move(partial, out_zip)
    return exercises


def _add(archive, name, text, executable=False):
    info = zipfile.ZipInfo(name)
    info.external_attr = (0o755 if executable else 0o644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)
