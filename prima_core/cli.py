"""The ``prima`` command line: every feature of the core is scriptable.

Each subcommand lives in its own module under ``prima_core.commands`` and provides
``register(subparsers)``, which adds its parser and sets ``func`` to a callable
``(args) -> int``. Errors that a user can fix are raised as ``UserError`` and printed
as one line, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from prima_core import __version__
from prima_core.errors import UserError

COMMAND_MODULES = (
    "info",
    "convert",
    "predict",
    "explain",
    "demo_study",
    "demo_train",
    "demo_eval",
)


def _command_module(name: str) -> str:
    return f"prima_core.commands.{name.replace('-', '_')}"


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or (``only``) one with just that subcommand registered.

    Registering one subcommand keeps ``prima info`` from importing torch through the model
    commands' modules: start-up time matters for scripted use.
    """
    parser = argparse.ArgumentParser(
        prog="prima",
        description="Prima Viewer core: import studies, run Prima, explain its predictions. "
        "Research use, not for clinical decisions.",
    )
    parser.add_argument("--version", action="version", version=f"prima-viewer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        if only is not None and name != only:
            continue
        module_name = _command_module(name)
        if importlib.util.find_spec(module_name) is None:
            continue
        importlib.import_module(module_name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in argv if not a.startswith("-")), None)
    wanted = first.replace("-", "_") if first else None
    parser = build_parser(only=wanted if wanted in COMMAND_MODULES else None)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"prima {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # Output piped into a reader that stopped early (``| head``): not an error of ours.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"prima {args.command}: cancelled", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
