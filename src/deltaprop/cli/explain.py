"""``deltaprop explain``: one backpropagation step shown in the seeds' notation."""

from __future__ import annotations


def register(commands, formatter) -> None:
    parser = commands.add_parser(
        "explain",
        help="show one training step of a small network in textbook notation",
        description="Trace one backpropagation step (a, o, delta, dE/dw, the update) of a small dense network.",
        formatter_class=formatter,
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.set_defaults(run=run)


def run(args) -> int:
    from .options import UsageError

    raise UsageError("explain is not available yet")
