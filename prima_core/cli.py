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
    "bench",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="prima",
        description="Prima Viewer core: import studies, run Prima, explain its predictions. "
        "Research use, not for clinical decisions.",
    )
    parser.add_argument("--version", action="version", version=f"prima-viewer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module_name = f"prima_core.commands.{name}"
        if importlib.util.find_spec(module_name) is None:
            continue
        importlib.import_module(module_name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"prima {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"prima {args.command}: cancelled", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
