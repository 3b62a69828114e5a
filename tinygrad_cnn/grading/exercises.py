"""The exercise tree and the student edition made from it.

An exercise is a folder ``NN_name`` (``10_dropout``: number in course order, then the name)
holding ``README.md`` (the statement; its first line ``# Title``, a ``**Topic:**`` line),
``solution.py`` (the reference, the student's part of each function between ``### BEGIN
SOLUTION`` and ``### END SOLUTION``), ``test_visible.py`` and ``test_hidden.py``, and
optionally ``<name>_checks.py`` (``dropout_checks.py``): helpers both test files import,
shipped with the visible tests. Each test carries ``@pytest.mark.points(n)``; points are read
from the source (``ast``), never by importing it.

The student edition keeps the statements, the visible tests and ``solution.py`` with each
solution region replaced by ``raise NotImplementedError("dropout: implement
dropout_forward")``; it holds no reference line and no hidden test.
"""

import ast
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

FOLDER = re.compile(r"^(\d+)_([a-z][a-z0-9_]*)$")
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
VISIBLE, HIDDEN = "test_visible.py", "test_hidden.py"

STUDENT_PYTEST_INI = """\
# Lets `pytest` in this folder run the visible tests in-process, for debugging (pytest --pdb).
# Grades come from `tinygrad-cnn grade`, which runs your code in a separate process.
[pytest]
addopts = -p tinygrad_cnn.grading.plugin --import-mode=importlib -q
pythonpath = {folders}
"""


@dataclass
class Test:
    name: str
    points: float
    hidden: bool


@dataclass
class Exercise:
    folder: Path
    title: str = ""
    topic: str = ""
    tests: list = field(default_factory=list)

    @property
    def name(self):
        """``dropout`` for the folder ``10_dropout``."""
        return FOLDER.match(self.folder.name).group(2)

    @property
    def test_files(self):
        """The files the tests need: the two test files and the helpers, those that exist."""
        names = (VISIBLE, HIDDEN, f"{self.name}_checks.py")
        return [self.folder / n for n in names if (self.folder / n).exists()]

    @property
    def points(self):
        return sum(t.points for t in self.tests)

    def matches(self, name):
        return name in (self.name, self.folder.name)


def find_exercises(root):
    """The exercises in ``root`` (folders named like ``10_dropout``), in course order."""
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{root} is not a folder of exercises")
    exercises = []
    for folder in sorted(root.iterdir(), key=lambda p: p.name):
        if folder.is_dir() and FOLDER.match(folder.name):
            exercise = Exercise(folder)
            _read_statement(exercise)
            for path in (folder / VISIBLE, folder / HIDDEN):
                if path.exists():
                    exercise.tests += [
                        Test(name, points, path.name == HIDDEN)
                        for name, points in test_points(path)
                    ]
            exercises.append(exercise)
    if not exercises:
        raise ValueError(f"{root} holds no exercise folder (named like 10_dropout)")
    return exercises


def _read_statement(exercise):
    readme = exercise.folder / "README.md"
    lines = readme.read_text(encoding="utf-8").splitlines() if readme.exists() else []
    exercise.title = next((ln[2:].strip() for ln in lines if ln.startswith("# ")), exercise.name)
    start = next((i for i, ln in enumerate(lines) if "**Topic:**" in ln), None)
    if start is not None:  # the paragraph that starts with **Topic:**
        paragraph = [lines[start].split("**Topic:**", 1)[1]]
        for line in lines[start + 1 :]:
            if not line.strip():
                break
            paragraph.append(line)
        exercise.topic = " ".join(" ".join(paragraph).split())


# CPython 3.11's ast.parse is not safe to call from two threads at once: it can fail with
# "SystemError: AST constructor recursion depth mismatch" (a grader grading in threads did)
_parsing = threading.Lock()


def test_points(path):
    """(test name, points) for each ``test_*`` function of a test file, from its source."""
    try:
        with _parsing:
            tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as err:
        raise ValueError(f"{path}: cannot read its tests: {err}") from None
    tests = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            points = 0.0
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and ast.unparse(decorator.func) == "pytest.mark.points"
                    and decorator.args
                    and isinstance(decorator.args[0], ast.Constant)
                ):
                    points = float(decorator.args[0].value)
            tests.append((node.name, points))
    return tests


# ----------------------------------------------------------------- the student edition
def strip_solutions(source, exercise, path="solution.py"):
    """``source`` with every solution region replaced by a stub raising NotImplementedError
    that names the exercise and the function to implement (``Class.method`` for a method)."""
    out, inside, scopes = [], False, []  # scopes: (indent, name) of the enclosing defs/classes
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        stripped = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        if stripped.startswith(BEGIN):
            if inside:
                raise ValueError(f"{path}, line {number}: {BEGIN} inside another region")
            inside = True
            function = ".".join(name for _, name in scopes)
            what = f"implement {function}" if function else "write this part"
            out.append(f'{indent}raise NotImplementedError("{exercise}: {what}")\n')
        elif stripped.startswith(END):
            if not inside:
                raise ValueError(f"{path}, line {number}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            match = re.match(r"\s*(?:async\s+def|def|class)\s+(\w+)", line)
            if match:
                scopes = [(i, name) for i, name in scopes if len(i) < len(indent)]
                scopes.append((indent, match.group(1)))
            out.append(line)
    if inside:
        raise ValueError(f"{path}: {BEGIN} is never closed by {END}")
    return "".join(out)


def solution_lines(source):
    """The lines inside solution regions (what the student edition must not contain)."""
    lines, inside = [], False
    for line in source.splitlines():
        if line.strip().startswith(BEGIN):
            inside = True
        elif line.strip().startswith(END):
            inside = False
        elif inside:
            lines.append(line)
    return lines


def export(source_root, out_dir):
    """Write the student edition of the exercises in ``source_root`` into ``out_dir`` (which
    must not exist yet, so nothing is ever overwritten). Returns the exercises."""
    source_root, out_dir = Path(source_root), Path(out_dir)
    if out_dir.exists():
        raise ValueError(f"{out_dir} already exists; export into a new folder")
    exercises = find_exercises(source_root)
    for exercise in exercises:
        if not (exercise.folder / "solution.py").exists():
            raise ValueError(f"{exercise.folder} has no solution.py")
    staging = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for exercise in exercises:
        target = staging / exercise.folder.name
        target.mkdir()
        source = (exercise.folder / "solution.py").read_text(encoding="utf-8")
        stub = strip_solutions(source, exercise.name, exercise.folder / "solution.py")
        (target / "solution.py").write_text(stub, encoding="utf-8")
        shipped = [exercise.folder / "README.md"] + exercise.test_files
        for path in shipped:
            if path.exists() and path.name != HIDDEN:
                shutil.copyfile(path, target / path.name)
    if (source_root / "README.md").exists():
        shutil.copyfile(source_root / "README.md", staging / "README.md")
    folders = " ".join(e.folder.name for e in exercises)
    ini = STUDENT_PYTEST_INI.format(folders=folders)
    (staging / "pytest.ini").write_text(ini, encoding="utf-8")
    staging.rename(out_dir)
    return exercises
