"""``prima convert``: official Prima release files -> a model bundle (nothing in them is run)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from prima_core.errors import UserError
from prima_core.model.convert import convert_official
from prima_core.paths import models_dir
from prima_core.progress import ProgressEvent


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert",
        help="convert the official Prima checkpoint files into a model bundle",
        description="Read the official full-model file and tokenizer without running anything "
        "from them, and write a bundle (safetensors + manifest.json) that 'prima predict' can use.",
    )
    parser.add_argument(
        "--model", required=True, type=Path, help="the release's full model file (e.g. primafullmodel107.pt)"
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--tokenizer-config", type=Path, help="the release's tokenizer JSON ({'vqvae_config': ...})"
    )
    source.add_argument(
        "--tokenizer", type=Path, help="the VQ-VAE .pth alone (released architecture assumed)"
    )
    parser.add_argument(
        "--out", type=Path, help="bundle folder to create (default: the imported-models folder)"
    )
    parser.add_argument("--name", help="bundle name (default: the output folder's name, or 'prima')")
    parser.set_defaults(func=run)


class _StderrProgress:
    """One line per stage and each tenth of it, so logs stay short."""

    def __init__(self) -> None:
        self._last: tuple[str, int] | None = None

    def __call__(self, event: ProgressEvent) -> None:
        step = (event.stage, int(event.fraction * 10))
        if step != self._last:
            self._last = step
            message = f" {event.message}" if event.message else ""
            print(f"[{event.stage} {event.fraction:4.0%}]{message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    name = args.name or (args.out.name if args.out else "prima")
    out = args.out if args.out is not None else models_dir() / name
    try:
        bundle = convert_official(
            full_model=args.model,
            tokenizer_config=args.tokenizer_config,
            tokenizer=args.tokenizer,
            out_dir=out,
            name=name,
            progress=_StderrProgress(),
        )
    except OSError as exc:
        raise UserError(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")) from None
    print(bundle)
    return 0
