"""``deltaprop explain``: one backpropagation step shown in the seeds' notation.

Only the command line lives here; the trace is computed by :mod:`deltaprop.textbook`.
"""

from __future__ import annotations

import sys

from ..errors import ConfigError, DataError
from .options import positive_int

FORMATS = ("table", "markdown", "json")

_EPILOG = """\
examples:
  deltaprop explain                          # the classic 2-2-2 network, one step
  deltaprop explain --freeze-biases --steps 3
  deltaprop explain --network net.json --format markdown > step.md

network file (JSON): the classic network written out; every key but layers, input and target
is optional, and weight[j][i] is the weight from node i of the layer below to node j:
  {"layers": [{"weight": [[0.15, 0.20], [0.25, 0.30]], "bias": [0.35, 0.35], "activation": "sigmoid"},
              {"weight": [[0.40, 0.45], [0.50, 0.55]], "bias": [0.60, 0.60], "activation": "sigmoid"}],
   "input": [0.05, 0.10], "target": [0.01, 0.99], "loss": "sse", "learning_rate": 0.5}
activations: sigmoid, tanh, relu, leaky_relu (with "negative_slope"), elu (with "alpha"), gelu,
identity (the default), silu, softplus (with "beta"), mish, selu, celu (with "alpha"),
hardtanh (to [-1, 1]), relu6, logsigmoid, softsign, hardswish, hardsigmoid, tanhshrink,
hardshrink and softshrink (with "lambd"), threshold (with "threshold" and "value"), softmax
(last layer, loss cross_entropy); losses: sse (default), mse, cross_entropy (target: a class
index or probabilities); "description" titles the trace.
The full description is in docs/backprop.md.
"""


def register(commands, formatter) -> None:
    parser = commands.add_parser(
        "explain",
        help="show one training step of a small network in textbook notation",
        description=(
            "Trace one backpropagation step of a small dense network in the notation of the textbook\n"
            "derivation: every a and o = g(a), the error E, every delta = dE/da, every dE/dw = delta * o\n"
            "and the updated weights. Without --network: the classic 2-2-2 sigmoid network of the worked\n"
            "example (inputs 0.05, 0.10; targets 0.01, 0.99; learning rate 0.5)."
        ),
        epilog=_EPILOG,
        formatter_class=formatter,
    )
    parser.add_argument("--network", metavar="FILE.json", help="a small dense network to explain instead of the classic one")
    parser.add_argument("--steps", type=positive_int("steps"), default=1, metavar="N", help="show the error after each of N updates (default 1)")
    parser.add_argument("--format", choices=FORMATS, default="table", help="table (default), markdown or json")
    parser.add_argument("--freeze-biases", action="store_true", help="update the weights only, as the classic worked example does")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.set_defaults(run=run)


def run(args) -> int:
    from ..textbook import classic_network, load_network
    from ..textbook.render import render

    network = classic_network() if args.network is None else load_network(args.network)
    try:
        trace = network.explain(steps=args.steps, freeze_biases=args.freeze_biases)
    except ConfigError as error:
        if args.network is None:
            raise
        # What the network file asks for cannot be explained (a loss that does not fit its output
        # layer): a problem of that file, named as the loader names its others.
        raise DataError(f"{args.network}: {str(error).removeprefix('explain: ')}") from None
    sys.stdout.write(render(trace, args.format))
    if args.network is None and not args.freeze_biases:
        print(
            "deltaprop: the worked example keeps b1 and b2 fixed; add --freeze-biases to update the weights only, as it does",
            file=sys.stderr,
        )
    return 0
