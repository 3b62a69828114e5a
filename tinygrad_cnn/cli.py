"""The ``tinygrad-cnn`` command line."""

import argparse
import sys

import tinygrad_cnn


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tinygrad-cnn",
        description="A readable deep-learning engine for teaching convolutional networks.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {tinygrad_cnn.__version__}"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo", help="train a small network on two spirals with plain Tensor ops"
    )
    demo.add_argument(
        "--steps", type=int, default=2000, help="gradient descent steps (default 2000)"
    )
    demo.add_argument("--hidden", type=int, default=64, help="hidden units per layer (default 64)")
    demo.add_argument("--lr", type=float, default=0.5, help="learning rate (default 0.5)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    return parser


def run_demo(args):
    from tinygrad_cnn.demo import train_spirals

    if args.steps < 10 or args.hidden < 1 or args.lr <= 0:
        raise ValueError("demo: --steps must be >= 10, --hidden >= 1 and --lr > 0")
    tinygrad_cnn.manual_seed(args.seed)
    accuracy = train_spirals(steps=args.steps, hidden=args.hidden, lr=args.lr)
    print(f"final training accuracy: {accuracy:.1%}")


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        {"demo": run_demo}[args.command](args)
    except ValueError as err:
        print(f"tinygrad-cnn: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tinygrad-cnn: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
