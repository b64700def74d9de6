"""``prima demo-eval``: score a demo model on phantom studies from seeds never used in training.

prima demo-eval --n 120 --model demo --out resources/demo_model/metrics.json

Studies are written as DICOM, imported and run like a user's study. Reported: per-finding ROC
AUC, the single-finding rank check, and the pointing game of each explanation method. When
``--out`` already holds a training ``metrics.json``, the results go under its ``evaluation`` key.
The pointing game is slow, so it usually runs on fewer studies than the AUC: a run without
methods keeps the pointing game already recorded there, and a run with methods records its
pointing game (with its command and seeds under ``pointing_game_run``) next to the AUC of the
larger run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from prima_core.demo.train_config import EVAL_SEED_BASE, TRAIN_SEED_BASE, VAL_SEED_BASE
from prima_core.errors import UserError
from prima_core.progress import ProgressEvent

METHOD_NAMES = ("integrated_gradients", "occlusion", "lime", "gradient_x_input", "attention_rollout")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo-eval",
        help="evaluate a demo model on unseen synthetic phantom studies",
        description="Evaluate a demo model on phantom studies it never saw (seeds from 3,000,000 by "
        "default): ROC AUC per finding, single-finding ranks, pointing game per explanation method.",
    )
    parser.add_argument("--n", type=int, default=60, help="number of studies (default 60)")
    parser.add_argument("--seed", type=int, default=EVAL_SEED_BASE, help="first study seed (default 3000000)")
    parser.add_argument("--model", default="demo", help="bundle folder, imported name, or 'demo' (default)")
    parser.add_argument(
        "--methods",
        default="integrated_gradients,occlusion,lime",
        help=f"pointing-game explanation methods, comma-separated, or 'none' ({', '.join(METHOD_NAMES)})",
    )
    parser.add_argument("--workers", type=int, default=2, help="processes generating studies (default 2)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help="where the studies are written and kept (one subfolder per phantom generator)",
    )
    parser.add_argument("--out", type=Path, default=None, help="metrics JSON to write (or update)")
    parser.set_defaults(func=run)


def _methods(text: str) -> list[str]:
    if text.strip().lower() in ("", "none"):
        return []
    methods = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHOD_NAMES]
    if unknown:
        raise UserError(f"unknown method {unknown[0]!r}; choose from {', '.join(METHOD_NAMES)}")
    return methods


def _check_seeds(first: int, n: int) -> None:
    """Refuse seeds from the training or validation ranges: those studies are not unseen."""
    last = first + n - 1
    if first <= VAL_SEED_BASE + 999_999 and last >= TRAIN_SEED_BASE:
        raise UserError(
            f"seeds {first}..{last} overlap the training/validation ranges "
            f"({TRAIN_SEED_BASE}..{VAL_SEED_BASE + 999_999}); use seeds from {EVAL_SEED_BASE}"
        )


POINTING_KEYS = ("pointing_game", "pointing_game_run")


def merge_evaluation(existing: dict[str, Any], metrics: dict[str, Any], *, command: str) -> dict[str, Any]:
    """``existing`` (a training ``metrics.json``) with ``metrics`` recorded under ``evaluation``.

    A run without pointing game replaces the evaluation but keeps the pointing game recorded
    before; a run with one sets the pointing game (and ``pointing_game_run``: its command, seeds
    and time) and keeps an earlier run's AUC, if any.
    """
    before = existing.get("evaluation") if isinstance(existing.get("evaluation"), dict) else None
    merged = dict(existing)
    if metrics.get("pointing_game"):
        evaluation = dict(before) if before is not None else {**metrics, "command": command}
        evaluation["pointing_game"] = metrics["pointing_game"]
        evaluation["pointing_radius_mm"] = metrics.get("pointing_radius_mm")
        evaluation["pointing_game_run"] = {
            "command": command,
            "study_seeds": metrics.get("study_seeds"),
            "seconds": metrics.get("seconds"),
        }
    else:
        evaluation = {**metrics, "command": command}
        for key in POINTING_KEYS:
            if before is not None and key in before:
                evaluation[key] = before[key]
    merged["evaluation"] = evaluation
    return merged


def _write(out: Path, metrics: dict[str, Any], *, command: str) -> None:
    existing = None
    if out.is_file():
        try:
            existing = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            existing = None
    if isinstance(existing, dict) and "recipe" in existing:
        metrics = merge_evaluation(existing, metrics, command=command)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(metrics, indent=1) + "\n", encoding="utf-8")


def _command_line(args: argparse.Namespace, methods: list[str]) -> str:
    """The run's command with every option that changes its numbers, for ``metrics.json``."""
    parts = ["prima demo-eval", f"--n {args.n}", f"--seed {args.seed}", f"--model {args.model}"]
    parts.append(f"--methods {','.join(methods) or 'none'}")
    return " ".join(parts)


def _print_summary(metrics: dict[str, Any]) -> None:
    auc = metrics["diagnosis_auc"]
    print(f"{metrics['studies']} studies; diagnosis AUC mean {auc['mean']}, min {auc['min']}")
    for name, value in auc["per_finding"].items():
        text = "n/a" if value is None else f"{value:.3f}"
        print(f"  {name:<48} AUC {text}  ({auc['positives'][name]} positive)")
    single = metrics["single_finding"]
    print(
        f"single-finding studies: {single['studies']}; positive and ranked first: "
        f"{single['positive_and_top_rate']}"
    )
    for method, entry in metrics["pointing_game"].items():
        found = entry.get("detected") or {}
        print(
            f"pointing game {method}: {entry['hits']}/{entry['total']} ({entry['rate']}); "
            f"findings with margin > 0: {found.get('hits')}/{found.get('total')}"
        )


def run(args: argparse.Namespace) -> int:
    import torch

    from prima_core.demo.eval import evaluate_demo_model
    from prima_core.model.bundle import load_bundle
    from prima_core.model_registry import resolve_model
    from prima_core.paths import cache_dir

    if args.n < 1:
        raise UserError("--n must be at least 1")
    _check_seeds(args.seed, args.n)
    methods = _methods(args.methods)
    if args.threads:
        torch.set_num_threads(args.threads)
    bundle = load_bundle(resolve_model(args.model), device="auto")
    start = time.perf_counter()

    def progress(event: ProgressEvent) -> None:
        print(
            f"[{time.perf_counter() - start:7.0f}s {event.stage:>12}] {event.message}",
            file=sys.stderr,
            flush=True,
        )

    metrics = evaluate_demo_model(
        bundle,
        n=args.n,
        seed=args.seed,
        work_dir=args.work_dir or cache_dir() / "demo_eval",
        methods=methods,
        workers=args.workers,
        progress=progress,
    )
    _print_summary(metrics)
    if args.out is not None:
        _write(args.out, metrics, command=_command_line(args, methods))
        print(f"wrote {args.out}", file=sys.stderr)
    if bundle.kind == "demo":
        print("Demo model trained on synthetic phantoms: not Prima's clinical weights, not diagnostic.")
    return 0
