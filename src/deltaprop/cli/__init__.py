"""The ``deltaprop`` command: train, predict, evaluate, summary, explain.

Conventions: results go to stdout, progress and messages to stderr; an error is one sentence on
stderr naming the file, row, column or option, with the traceback only under ``--debug``. Exit
codes: 0 success, 1 a problem with the data or a model file, 2 a problem with the command line,
130 interrupted by Ctrl-C (after writing a checkpoint), 141 when the reader of stdout went away
(``deltaprop summary model.safetensors | head -3``), quietly, as other Unix tools do. A warning is
one line too, ``deltaprop: warning: ...``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings

from ..errors import ConfigError, DeltapropError
from .options import UsageError

EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 0, 1, 2, 130, 141


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one sentence (not the usage block) and exit code 2."""

    def error(self, message):
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _formatter(prog):
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32, width=100)


def build_parser() -> argparse.ArgumentParser:
    from . import explain, inspect, predict, train

    parser = _Parser(
        prog="deltaprop",
        description="Train neural networks by backpropagation on a CSV file or the bundled handwritten digits.",
        epilog="examples:\n  deltaprop train                      # the main job: an MLP on the bundled digits\n"
        "  deltaprop train iris.csv --target species --hidden 16 --out runs/iris\n"
        "  deltaprop predict runs/iris/model.safetensors new.csv --out predictions.csv\n"
        "  deltaprop explain                    # one backprop step of the classic 2-2-2 network\n\n"
        "Run 'deltaprop COMMAND --help' for a command's options.",
        formatter_class=_formatter,
    )
    parser.add_argument("--version", action="version", version=f"deltaprop {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in (train, predict, inspect, explain):
        module.register(commands, _formatter)
    return parser


def _version() -> str:
    from .. import __version__

    return __version__


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # argparse accepts unambiguous abbreviations, so --deb means --debug too (--d could be --dropout).
    debug = any(len(arg) >= 4 and "--debug".startswith(arg) for arg in argv)
    try:
        parser = build_parser()
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # point at the help of the command the option was given to
            where = f"{parser.prog} {args.command}" if args.command else parser.prog
            raise UsageError(f"unrecognized arguments: {' '.join(unknown)} (see '{where} --help')")
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        with _one_line_warnings(debug):
            return args.run(args)
    except BrokenPipeError:
        # Whoever read stdout (head, less) has gone: nothing more can be said there, and Python
        # would complain again when it flushes stdout at exit unless stdout leads nowhere.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except UsageError as error:
        return _fail(error, EXIT_USAGE, debug)
    except ConfigError as error:  # an impossible option value caught by the library itself
        return _fail(error, EXIT_USAGE, debug)
    except DeltapropError as error:
        return _fail(error, EXIT_DATA, debug)
    except KeyboardInterrupt as error:
        print("deltaprop: interrupted", file=sys.stderr)
        _notes(error)
        return EXIT_INTERRUPTED
    except MemoryError as error:  # e.g. --hidden 200000,200000: a user's choice, not a bug
        detail = f" ({error})" if str(error) else ""
        return _fail(f"not enough memory for this run{detail}; make the network (--hidden) or the batch "
                     f"(--batch-size) smaller", EXIT_DATA, debug, cause=error)
    except OSError as error:  # e.g. the output folder cannot be written
        where = f"{error.filename}: " if getattr(error, "filename", None) else ""
        return _fail(f"{where}{error.strerror or error}", EXIT_DATA, debug, cause=error)
    except Exception as error:  # a bug in deltaprop: say so, briefly
        if debug:
            raise
        print(f"deltaprop: internal error: {type(error).__name__}: {error} (run again with --debug for the traceback)", file=sys.stderr)
        _notes(error)
        return EXIT_DATA


@contextlib.contextmanager
def _one_line_warnings(debug: bool):
    """Warnings as ``deltaprop: warning: message`` on stderr (Python's own form, with the file and
    line that warned, under --debug)."""
    if debug:
        yield
        return

    def show(message, category, filename, lineno, file=None, line=None):
        print(f"deltaprop: warning: {message}", file=sys.stderr if file is None else file)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def _fail(error, code: int, debug: bool, cause=None) -> int:
    if debug:
        import traceback

        traceback.print_exception(cause or error)
    print(f"deltaprop: error: {error}", file=sys.stderr)
    _notes(cause or error)
    return code


def _notes(error) -> None:
    """What a command added to an error on its way out (PEP 678's notes: a run folder that was kept
    and how to resume it), a line each after the error's own."""
    for note in getattr(error, "__notes__", ()):
        print(f"deltaprop: {note}", file=sys.stderr)
