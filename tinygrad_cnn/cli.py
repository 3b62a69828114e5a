"""The ``tinygrad-cnn`` command line: train, evaluate, predict, summary, demo, and the course:
exercises (list, export, gradescope) and grade.

Each subcommand is a small function that turns arguments into calls of the library
(``training.Run``, ``models``, ``data``); errors in the user's input end the program with
one line on stderr and a non-zero exit status, never a traceback.
"""

import argparse
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

import tinygrad_cnn


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (no usage dump) and exits with 2."""

    def error(self, message):
        self.exit(2, f"tinygrad-cnn: error: {message}\n")


def build_parser():
    from tinygrad_cnn.data.mnist import DATASETS
    from tinygrad_cnn.models import MODELS
    from tinygrad_cnn.training import OPTIMIZERS, TrainConfig

    parser = ArgumentParser(
        prog="tinygrad-cnn",
        description="Train, evaluate and inspect small CNNs on MNIST with tinygrad_cnn.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {tinygrad_cnn.__version__}"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    defaults = TrainConfig()

    train = commands.add_parser("train", help="train a model on MNIST (LeNet-5 + Adam by default)")
    train.add_argument("--model", choices=MODELS, help=f"default {defaults.model}")
    train.add_argument("--dataset", choices=DATASETS, default=defaults.dataset)
    train.add_argument("--epochs", type=int, help=f"default {defaults.epochs}")
    train.add_argument("--batch-size", type=int, default=defaults.batch_size)
    train.add_argument("--optimizer", choices=OPTIMIZERS, default=defaults.optimizer)
    train.add_argument(
        "--lr", type=float, help="learning rate (default: per optimizer, 2e-3 for Adam)"
    )
    train.add_argument("--momentum", type=float, default=defaults.momentum, help="SGD/RMSprop")
    train.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    train.add_argument("--dropout", type=float, default=defaults.dropout)
    train.add_argument(
        "--schedule",
        choices=["cosine", "constant"],
        default=defaults.schedule,
        help="learning-rate schedule over the run (default cosine)",
    )
    train.add_argument("--seed", type=int, default=defaults.seed)
    train.add_argument(
        "--data-dir",
        help="folder with the four IDX files (else $TINYGRAD_CNN_DATA, "
        "~/.cache/tinygrad_cnn/<dataset>, or download)",
    )
    train.add_argument("--limit", type=int, help="train on the first N images only")
    train.add_argument(
        "--val-split",
        type=float,
        default=defaults.val_split,
        help="fraction of the training images held out for validation (default 0.1)",
    )
    train.add_argument("--out", help="run folder (default runs/<model>-<date>-<time>)")
    train.add_argument(
        "--resume", metavar="CHECKPOINT", help="continue the run saved in CHECKPOINT"
    )
    train.add_argument(
        "--grad-stats",
        action="store_true",
        help="record each parameter's gradient norm, mean |gradient| and update/weight ratio "
        "per epoch (averaged over its steps) in metrics.jsonl",
    )

    evaluate = commands.add_parser(
        "evaluate", help="accuracy, per-class accuracy, confusion matrix"
    )
    evaluate.add_argument("checkpoint")
    evaluate.add_argument("--data-dir")
    evaluate.add_argument(
        "--confusion",
        nargs="?",
        const="",
        metavar="FILE.png",
        help="also draw the confusion matrix (default FILE: confusion.png beside the checkpoint)",
    )

    predict = commands.add_parser("predict", help="top-3 classes for an image")
    predict.add_argument("checkpoint")
    source = predict.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--image", help="a PNG (or any image Pillow reads); needs Pillow, the [image] extra"
    )
    source.add_argument("--index", type=int, help="an image of the test set, by position")
    predict.add_argument("--data-dir")

    summary = commands.add_parser("summary", help="the model's layers, output shapes, parameters")
    summary.add_argument("--model", choices=MODELS, default=defaults.model)

    graph = commands.add_parser(
        "graph", help="the model's computation graph for one batch, coloured by gradient norm"
    )
    graph.add_argument("--model", choices=MODELS, default=defaults.model)
    graph.add_argument("--checkpoint", help="weights saved by train (default: a fresh model)")
    graph.add_argument("--out", required=True, help="picture to write: .svg, .png or .dot")

    export = commands.add_parser(
        "export", help="a checkpoint's weights as .safetensors, with PyTorch's key names"
    )
    export.add_argument("checkpoint", help="a checkpoint of train (or a saved state_dict)")
    export.add_argument("out", metavar="OUT.safetensors")
    export.add_argument("--force", action="store_true", help="replace OUT if it exists")

    demo = commands.add_parser(
        "demo", help="train a tiny network on two spirals with plain Tensor ops"
    )
    demo.add_argument(
        "--steps", type=int, default=2000, help="gradient descent steps (default 2000)"
    )
    demo.add_argument("--hidden", type=int, default=64, help="hidden units per layer (default 64)")
    demo.add_argument("--lr", type=float, default=0.5, help="learning rate (default 0.5)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    _add_picture_commands(commands)
    _add_course_commands(commands)
    return parser


def _add_picture_commands(commands):
    plot = commands.add_parser(
        "plot", help="PNG of a run's loss, accuracy, learning rate (and gradient flow)"
    )
    plot.add_argument("run_dir", metavar="RUN_DIR", help="a run folder of tinygrad-cnn train")
    plot.add_argument("--out", metavar="FILE.png", help="default RUN_DIR/curves.png")
    features = commands.add_parser(
        "features", help="PNG of a test image's feature maps after every conv and pool layer"
    )
    features.add_argument("checkpoint")
    features.add_argument("--index", type=int, required=True, help="a test image, by position")
    features.add_argument(
        "--layers", nargs="+", metavar="NAME", help="layer names, e.g. 0 2 (default: all)"
    )
    features.add_argument(
        "--out", metavar="FILE.png", help="default features-<index>.png beside the checkpoint"
    )
    features.add_argument("--data-dir")


def _add_course_commands(commands):
    exercises = commands.add_parser(
        "exercises",
        help="the course exercises: list them, export the student edition, "
        "build the Gradescope autograder",
    )
    actions = exercises.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=ArgumentParser
    )
    listing = actions.add_parser("list", help="every exercise with its topic and points")
    listing.add_argument(
        "--tests", default="exercises", help="the exercise tree (default ./exercises)"
    )
    export = actions.add_parser(
        "export", help="write the student edition (stubs, statements, visible tests)"
    )
    export.add_argument("out_dir", metavar="OUT_DIR", help="a new folder")
    export.add_argument("--source", default="exercises", help="default ./exercises")
    gradescope = actions.add_parser("gradescope", help="write the Gradescope autograder zip")
    gradescope.add_argument("out_zip", metavar="OUT.zip")
    gradescope.add_argument("--source", default="exercises", help="default ./exercises")

    grade = commands.add_parser(
        "grade",
        help="grade solutions; the student's code runs in separate, limited processes",
        description="Grade the solutions in DIR. Each exercise's solution.py runs in a child "
        "process with a timeout per test, a memory limit and a limit for the whole run; the "
        "tests and their checks run in this process. Exits 0 whenever grading ran, whatever "
        "the score.",
    )
    grade.add_argument("dir", nargs="?", default=".", help="the solutions (default .)")
    grade.add_argument(
        "--tests",
        help="the tests: the instructor's exercise tree for the hidden tests "
        "(default: the visible tests in DIR)",
    )
    grade.add_argument("--only", metavar="NAME", help="one exercise, e.g. dropout")
    grade.add_argument("--json", metavar="PATH", help="write Gradescope's results.json here")
    grade.add_argument("--timeout", type=float, default=10.0, help="seconds per test (default 10)")
    grade.add_argument(
        "--run-limit", type=float, default=600.0, help="seconds for the whole run (default 600)"
    )
    grade.add_argument(
        "--memory", type=int, default=2048, help="MiB of address space per child (default 2048)"
    )
    grade.add_argument(
        "--user", help="run the student's code as this unprivileged user (needs root)"
    )


# ----------------------------------------------------------------- train
def run_train(args):
    from tinygrad_cnn.training import Run, TrainConfig, holds_run

    defaults = TrainConfig()
    if args.resume:
        run = Run.resume(args.resume, args.out, args.epochs, grad_stats=args.grad_stats)
        if args.model is not None and args.model != run.config.model:
            raise ValueError(f"{args.resume} holds a {run.config.model} model, not {args.model}")
    else:
        config = TrainConfig(
            model=args.model or defaults.model,
            dataset=args.dataset,
            epochs=defaults.epochs if args.epochs is None else args.epochs,
            batch_size=args.batch_size,
            optimizer=args.optimizer,
            lr=args.lr,
            momentum=args.momentum,
            weight_decay=args.weight_decay,
            dropout=args.dropout,
            seed=args.seed,
            limit=args.limit,
            val_split=args.val_split,
            data_dir=args.data_dir,
            schedule=args.schedule,
            grad_stats=args.grad_stats,
        ).check()
        folder = Path(args.out or f"runs/{config.model}-{time.strftime('%Y%m%d-%H%M%S')}")
        if holds_run(folder):
            raise ValueError(
                f"{folder} already holds a run; choose another --out, or continue it with "
                f"--resume {folder / 'last.npz'}"
            )
        run = Run(config, folder)
    print(
        f"training {run.config.model} on {run.config.dataset}: "
        f"{len(run.train_loader.labels):,} images, run folder {run.folder}"
    )
    return 0 if run.fit() is not None else 130


# ----------------------------------------------------------------- evaluate and predict
def _load_trained(path):
    """(model in eval mode, training config) from a checkpoint written by train."""
    model, config, _ = _read_checkpoint(path)
    return model, config


def _read_checkpoint(path):
    """(model in eval mode, training config, the whole state) of a checkpoint."""
    from tinygrad_cnn import serialization
    from tinygrad_cnn.training import TrainConfig, build_model, stored_data_dir

    state = serialization.load(path)
    if not isinstance(state, dict) or "config" not in state or "model" not in state:
        raise ValueError(f"{path} is not a checkpoint written by tinygrad-cnn train")
    config = TrainConfig(**state["config"])
    model = build_model(config.model, config.dropout)
    try:
        model.load_state_dict(state["model"])
    except ValueError as err:
        raise ValueError(f"{path}: does not fit a {config.model} model: {err}") from None
    config.data_dir = stored_data_dir(config.data_dir)  # None: look it up as usual
    return model.eval(), config, state


def _epoch_of(state, config):
    """Which point of the run a checkpoint holds, e.g. "epoch 2 of 3"."""
    epoch, batch = state.get("epoch"), state.get("next_batch") or 0
    if epoch is None:
        return "epoch unknown"
    text = f"epoch {epoch} of {config.epochs}"
    return text + (f" and {batch} batches of epoch {epoch + 1}" if batch else "")


def run_evaluate(args):
    from tinygrad_cnn.data import DATASETS, DataLoader, load_mnist
    from tinygrad_cnn.training import evaluate

    model, config, state = _read_checkpoint(args.checkpoint)
    _, (images, labels) = load_mnist(args.data_dir or config.data_dir, dataset=config.dataset)
    with tinygrad_cnn.tuned_for_training():  # the kernels' threads, as in training
        loss, accuracy, predicted = evaluate(model, DataLoader(images, labels, 1000))
    classes = DATASETS[config.dataset]["classes"]
    confusion = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    print(
        f"{config.model} on the {config.dataset} test set: accuracy {accuracy:.4f} "
        f"({int(np.trace(confusion)):,} of {len(labels):,}), loss {loss:.4f}; "
        f"weights of {_epoch_of(state, config)}"
    )
    print("\nper-class accuracy:")
    for k, name in enumerate(classes):
        total = confusion[k].sum()
        print(
            f"  {k} {name:<12} {confusion[k, k] / max(total, 1):.4f}  ({confusion[k, k]}/{total})"
        )
    print("\nconfusion matrix (rows: true class, columns: predicted class):")
    print("      " + "".join(f"{k:>6}" for k in range(len(classes))))
    for k in range(len(classes)):
        print(f"{k:>6}" + "".join(f"{n:>6}" for n in confusion[k]))
    if args.confusion is not None:
        from tinygrad_cnn.viz.plots import confusion_figure
        from tinygrad_cnn.viz.png import save_png

        out = args.confusion or Path(args.checkpoint).parent / "confusion.png"
        title = (
            f"{config.model} on the {config.dataset} test set: accuracy {accuracy:.2%}\n"
            f"({Path(args.checkpoint)})"
        )
        print(save_png(confusion_figure(confusion, classes, title), out))
    return 0


IMAGE_EXTRA = "the [image] extra: pip install '.[image]' in the tinygrad_cnn folder"


def read_image(path):
    """A picture file as a 28x28 uint8 array in MNIST's style (light digit on black)."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise ValueError(f"reading images needs Pillow, {IMAGE_EXTRA}") from None
    try:
        with Image.open(path) as image:
            gray = np.asarray(image.convert("L").resize((28, 28), Image.BILINEAR), dtype=np.uint8)
    except (OSError, UnidentifiedImageError) as err:
        raise ValueError(f"cannot read image {path}: {err}") from None
    return 255 - gray if gray.mean() > 127 else gray  # dark digit on light paper: invert


def run_predict(args):
    from tinygrad_cnn.data import DATASETS, load_mnist, normalize

    model, config = _load_trained(args.checkpoint)
    if args.image is not None:
        image, label = read_image(args.image), None
    else:
        _, (images, labels) = load_mnist(args.data_dir or config.data_dir, dataset=config.dataset)
        if not 0 <= args.index < len(labels):
            raise ValueError(f"--index must be in [0, {len(labels) - 1}], got {args.index}")
        image, label = images[args.index], int(labels[args.index])
    x = tinygrad_cnn.Tensor(normalize(image[None]))
    with tinygrad_cnn.no_grad():
        probabilities = model(x).softmax(axis=1).data[0]
    classes = DATASETS[config.dataset]["classes"]
    if label is not None:
        print(f"test image {args.index}, true class {label} ({classes[label]})")
    for k in np.argsort(probabilities)[::-1][:3]:
        print(f"{k}  {classes[k]:<12} {probabilities[k]:.4f}")
    return 0


# ----------------------------------------------------------------- summary and demo
def run_summary(args):
    from tinygrad_cnn.training import build_model

    print(build_model(args.model).summary((1, 28, 28)))
    return 0


def run_graph(args):
    """Draw the model's graph for a batch of 8 random images after one backward pass."""
    from tinygrad_cnn import functional as F
    from tinygrad_cnn.training import build_model
    from tinygrad_cnn.viz import draw_graph, render, trace_model
    from tinygrad_cnn.viz.rendering import check_path

    check_path(args.out)
    tinygrad_cnn.manual_seed(0)
    if args.checkpoint:
        model, config = _load_trained(args.checkpoint)
        if config.model != args.model:
            raise ValueError(f"{args.checkpoint} holds a {config.model} model, not {args.model}")
    else:
        model = build_model(args.model)
    images = tinygrad_cnn.rand(8, 1, 28, 28)
    output, layers = trace_model(model, images)
    loss = F.cross_entropy(output, tinygrad_cnn.Tensor(np.arange(8) % 10))
    loss.backward()
    written = render(draw_graph(loss, layers=layers), args.out)
    print(f"wrote {written}")
    return 0


def run_export(args):
    from tinygrad_cnn import serialization
    from tinygrad_cnn.export import check_path, export_safetensors, model_weights

    check_path(args.out, "export")
    out = Path(args.out)
    if out.exists() and not args.force:
        raise ValueError(f"export: {out} already exists (--force replaces it)")
    if not out.parent.is_dir():
        raise ValueError(f"export: no folder {out.parent} to write {out.name} in")
    state = serialization.load(args.checkpoint)
    try:
        _, metadata = model_weights(state)  # checked here to name the file
    except ValueError as err:
        raise ValueError(f"export: {args.checkpoint}: {err}") from None
    tensors = export_safetensors(state, out)
    numbers = sum(t.size for t in tensors.values() if t.dtype.kind == "f")
    name = metadata.get("model", "model")
    print(f"{name} weights ({len(tensors)} tensors, {numbers:,} numbers) written to {out}")
    print(
        "in PyTorch: model.load_state_dict(safetensors.torch.load_file(PATH), strict=True); "
        "see docs/outgrowing.md"
    )
    return 0


def run_demo(args):
    from tinygrad_cnn.demo import train_spirals

    if args.steps < 10 or args.hidden < 1 or args.lr <= 0:
        raise ValueError("demo: --steps must be >= 10, --hidden >= 1 and --lr > 0")
    tinygrad_cnn.manual_seed(args.seed)
    accuracy = train_spirals(steps=args.steps, hidden=args.hidden, lr=args.lr)
    print(f"final training accuracy: {accuracy:.1%}")
    return 0


# ----------------------------------------------------------------- the course
def run_exercises(args):
    from tinygrad_cnn.grading import exercises, gradescope

    if args.action == "list":
        found = exercises.find_exercises(args.tests)
        width = max(len(e.folder.name) for e in found)
        for e in found:
            hidden = sum(t.points for t in e.tests if t.hidden)
            print(f"{e.folder.name:<{width}}  {e.points:>5g} points ({hidden:g} hidden)  {e.title}")
            if e.topic:
                pad = " " * (width + 2)
                print(textwrap.fill(e.topic, 100, initial_indent=pad, subsequent_indent=pad))
        print(f"{'total':<{width}}  {sum(e.points for e in found):>5g} points")
    elif args.action == "export":
        found = exercises.export(args.source, args.out_dir)
        print(f"student edition of {len(found)} exercises written to {args.out_dir}")
    else:
        found = gradescope.build_autograder_zip(args.source, args.out_zip)
        print(f"Gradescope autograder for {len(found)} exercises written to {args.out_zip}")
    return 0


def run_grade(args):
    from tinygrad_cnn.grading import grader
    from tinygrad_cnn.grading.sandbox import Limits

    started = time.monotonic()
    try:
        if args.timeout <= 0 or args.run_limit <= 0 or args.memory <= 0:
            raise ValueError("--timeout, --run-limit and --memory must be positive")
        limits = Limits(timeout=args.timeout, memory=args.memory * 2**20)
        report = grader.grade(args.dir, args.tests, args.only, limits, args.run_limit, args.user)
    except Exception as err:
        if args.json:  # Gradescope gets a complete result even when nothing could be graded
            grader.write_json(grader.failed_results(err, time.monotonic() - started), args.json)
        raise
    print(grader.format_table(report))
    if args.json:
        grader.write_json(grader.gradescope_results(report), args.json)
        print(f"results written to {args.json}")
    return 0


# ----------------------------------------------------------------- pictures
def run_plot(args):
    from tinygrad_cnn.viz.plots import read_run, training_figure
    from tinygrad_cnn.viz.png import png_path, save_png

    out = png_path(args.out or Path(args.run_dir) / "curves.png")
    epochs, test = read_run(args.run_dir)
    print(save_png(training_figure(epochs, test, f"training run {args.run_dir}"), out))
    return 0


def run_features(args):
    from tinygrad_cnn.data import DATASETS, load_mnist, normalize
    from tinygrad_cnn.viz import features
    from tinygrad_cnn.viz.png import png_path, save_png

    out = png_path(args.out or Path(args.checkpoint).parent / f"features-{args.index}.png")
    model, config = _load_trained(args.checkpoint)
    layers = dict(features.feature_layers(model))
    if not any(isinstance(m, tinygrad_cnn.nn.Conv2d) for m in layers.values()):
        raise ValueError(f"{args.checkpoint}: a {config.model} model has no conv layer to show")
    names = args.layers or list(layers)
    unknown = [name for name in names if name not in layers]
    if unknown:
        raise ValueError(f"--layers: no conv or pool layer {unknown} (choose from {list(layers)})")
    _, (images, labels) = load_mnist(args.data_dir or config.data_dir, dataset=config.dataset)
    if not 0 <= args.index < len(labels):
        raise ValueError(f"--index must be in [0, {len(labels) - 1}], got {args.index}")
    x = tinygrad_cnn.Tensor(normalize(images[args.index : args.index + 1]))
    outputs = features.capture(model, x, names + [""])  # "": the model itself, its logits
    classes = DATASETS[config.dataset]["classes"]
    title = (
        f"{config.model}: feature maps of {config.dataset} test image {args.index} "
        f"(true {classes[labels[args.index]]}, predicted {classes[outputs.pop('').argmax()]})"
    )
    filters = features.first_filters(model)  # of the whole model, whatever --layers shows
    figure = features.features_figure(x.data[0, 0], outputs, layers, filters, title)
    print(save_png(figure, out))
    return 0


COMMANDS = {
    "train": run_train,
    "evaluate": run_evaluate,
    "predict": run_predict,
    "summary": run_summary,
    "graph": run_graph,
    "plot": run_plot,
    "features": run_features,
    "export": run_export,
    "demo": run_demo,
    "exercises": run_exercises,
    "grade": run_grade,
}


def main(argv=None):
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        return COMMANDS[args.command](args)
    except BrokenPipeError:  # output piped into a command that stopped reading (e.g. head)
        sys.stderr.close()
        return 1
    except (ValueError, OSError) as err:
        print(f"tinygrad-cnn: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tinygrad-cnn: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
