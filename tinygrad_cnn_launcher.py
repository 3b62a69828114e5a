"""The ``tinygrad-cnn`` command's entry point, outside the package on purpose.

Importing ``tinygrad_cnn`` (numpy, the ops) takes a few tenths of a second. A Ctrl-C in that
time would otherwise end in a traceback, before ``tinygrad_cnn.cli.main`` can catch it; this
module imports nothing heavy, so it can catch the interrupt and exit as the CLI does.
"""

import sys


def main():
    try:
        from tinygrad_cnn.cli import main as run_cli
    except KeyboardInterrupt:
        print("tinygrad-cnn: interrupted", file=sys.stderr)
        return 130
    return run_cli()


if __name__ == "__main__":
    sys.exit(main())
