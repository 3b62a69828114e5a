"""Every Python block of these pages runs as a test (with Sybil), so a page and the engine
cannot drift apart: a block that shows output (``>>>`` lines) has it compared, and a block
that must not run is preceded by ``<!-- skip: next -->`` and a sentence saying why. The blocks
of one page share their names, as a reader following the page would; each page runs in a
fresh temporary folder, so the files a block writes land there."""

import os
import tempfile

from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser


def _enter_a_temporary_folder(namespace):
    namespace["__folders__"] = (os.getcwd(), tempfile.TemporaryDirectory())
    os.chdir(namespace["__folders__"][1].name)


def _leave_it(namespace):
    previous, folder = namespace.pop("__folders__")
    os.chdir(previous)
    folder.cleanup()


pytest_collect_file = Sybil(
    parsers=[PythonCodeBlockParser(), SkipParser()],
    patterns=["*.md"],
    setup=_enter_a_temporary_folder,
    teardown=_leave_it,
).pytest()
