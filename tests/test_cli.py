"""The tinygrad-cnn command line."""

import subprocess
import sys

import pytest

import tinygrad_cnn
from tinygrad_cnn.cli import main


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"tinygrad-cnn {tinygrad_cnn.__version__}"
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "demo" in capsys.readouterr().out
    assert main([]) == 0
    assert "usage: tinygrad-cnn" in capsys.readouterr().out


def test_demo_learns_the_spirals(capsys):
    assert main(["demo", "--steps", "600", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    final = float(out.strip().splitlines()[-1].split()[-1].rstrip("%"))
    assert final > 90.0


def test_demo_is_repeatable_with_a_seed(capsys):
    main(["demo", "--steps", "20", "--seed", "3"])
    first = capsys.readouterr().out
    main(["demo", "--steps", "20", "--seed", "3"])
    assert capsys.readouterr().out == first


def test_bad_arguments_give_one_line_and_nonzero_exit(capsys):
    assert main(["demo", "--lr", "-1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tinygrad-cnn: error: demo:") and "Traceback" not in err


def test_console_script_module_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_cnn", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith("tinygrad-cnn ")
