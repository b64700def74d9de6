"""``prima demo-train --out DIR``: train the built-in demo model on synthetic phantom studies.

Generates phantom studies (train seeds 1,000,000+, optional focus studies 1,500,000+, validation
seeds 2,000,000+), reads them through the normal DICOM import and Prima preprocessing, trains a
small VQ-VAE tokenizer and a small hierarchical ViT with heads, and writes a ``kind: demo`` model
bundle plus ``metrics.json``. Resumable: intermediate results stay in ``--work-dir`` (default: the
per-user cache).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

from prima_core.demo.train_config import DemoTrainConfig, VitTrainConfig
from prima_core.errors import UserError
from prima_core.progress import ProgressEvent


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo-train",
        help="train the demo model on synthetic phantom studies",
        description="Train the built-in demo model on synthetic phantom studies (not diagnostic). "
        "Intermediate results are cached in --work-dir, so an interrupted run resumes.",
    )
    parser.add_argument("--out", type=Path, required=True, help="new folder for the bundle and metrics.json")
    parser.add_argument("--seed", type=int, default=0, help="seed of weight init, sampling and augmentation")
    parser.add_argument(
        "--n-train", type=int, default=None, help=f"training studies (default {DemoTrainConfig.n_train})"
    )
    parser.add_argument(
        "--n-val", type=int, default=None, help=f"validation studies (default {DemoTrainConfig.n_val})"
    )
    parser.add_argument(
        "--n-focus",
        type=int,
        default=None,
        help="extra training studies, each with one of the findings the model finds hardest, in turn: "
        f"{', '.join(DemoTrainConfig.focus_findings)} (default {DemoTrainConfig.n_focus})",
    )
    parser.add_argument(
        "--epochs", type=int, default=None, help=f"ViT epochs (default {VitTrainConfig.epochs})"
    )
    parser.add_argument(
        "--precision",
        choices=("fp32", "bf16"),
        default=None,
        help=f"ViT training steps under bf16 autocast (about 2x faster; refused on a CPU without "
        f"native bf16) or in fp32 (any CPU) (default {VitTrainConfig.precision}, the recipe)",
    )
    parser.add_argument(
        "--score-from",
        type=int,
        default=None,
        help="refit the heads and validate only from this epoch on "
        f"(default {VitTrainConfig.score_from}; 1: every epoch); earlier epochs cannot be kept, "
        "training is the same",
    )
    parser.add_argument(
        "--mirror-p",
        type=float,
        default=None,
        help="chance that a training draw takes the study's left-right mirror image, tokenized once "
        f"beside it (default {VitTrainConfig.mirror_p}; 0: never)",
    )
    parser.add_argument(
        "--rank-weight",
        type=float,
        default=None,
        help="weight of a pairwise ranking term on the diagnosis logits (a study's findings above "
        f"its absent ones; default {VitTrainConfig.rank_weight}; 0: off)",
    )
    parser.add_argument(
        "--head-ensemble",
        type=int,
        default=None,
        help="the bundle's heads average this many head refits on the kept epoch's embeddings, held "
        f"exactly in one wider head (default {VitTrainConfig.head_ensemble}; 1: the kept epoch's own heads)",
    )
    parser.add_argument(
        "--branches",
        type=int,
        default=None,
        help="fork the ViT run after --branch-after epochs into this many branches, trained on with "
        "their own data order and averaged into one model (default 1: no fork)",
    )
    parser.add_argument(
        "--branch-after",
        type=int,
        default=None,
        help=f"epochs shared by every branch before the fork (default {VitTrainConfig.branch_after})",
    )
    parser.add_argument("--workers", type=int, default=2, help="processes generating studies (default 2)")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads for training (default 1: on a shared 2-core machine one thread is fastest)",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help="cache of studies, tokens and checkpoints (one subfolder per phantom generator)",
    )
    parser.add_argument(
        "--tokenizer-lesion-weight",
        type=float,
        default=None,
        help="weight of the tokenizer's training-only lesion classifier term (default 0: off)",
    )
    parser.add_argument(
        "--tokenizer-lesion-share",
        type=float,
        default=None,
        help="share of tokenizer training patches drawn from lesion patches (default 0: at random)",
    )
    parser.add_argument("--tiny", action="store_true", help="toy sizes (a smoke test of the recipe)")
    parser.set_defaults(func=run)


class _Printer:
    """One line per stage at most every 5 % (epoch lines always)."""

    def __init__(self) -> None:
        self._last: dict[str, float] = {}
        self._start = time.perf_counter()

    def __call__(self, event: ProgressEvent) -> None:
        last = self._last.get(event.stage, -1.0)
        if event.stage != "vit-epoch" and event.fraction < 1.0 and event.fraction - last < 0.05 and last >= 0:
            return
        self._last[event.stage] = event.fraction
        elapsed = time.perf_counter() - self._start
        print(f"[{elapsed:7.0f}s {event.stage:>12}] {event.message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from prima_core.demo.train import train_demo_model
    from prima_core.demo.train_config import DemoTrainConfig
    from prima_core.paths import cache_dir

    config = DemoTrainConfig.tiny(seed=args.seed) if args.tiny else DemoTrainConfig(seed=args.seed)
    changes: dict = {"threads": args.threads}
    if args.n_train is not None:
        changes["n_train"] = args.n_train
    if args.n_val is not None:
        changes["n_val"] = args.n_val
    if args.n_focus is not None:
        changes["n_focus"] = args.n_focus
    vit_changes = {
        name: value
        for name, value in (
            ("epochs", args.epochs),
            ("precision", args.precision),
            ("score_from", args.score_from),
            ("mirror_p", args.mirror_p),
            ("rank_weight", args.rank_weight),
            ("head_ensemble", args.head_ensemble),
            ("branches", args.branches),
            ("branch_after", args.branch_after),
        )
        if value is not None
    }
    if vit_changes:
        changes["vit"] = replace(config.vit, **vit_changes)
    tokenizer_changes = {
        name: value
        for name, value in (
            ("lesion_weight", args.tokenizer_lesion_weight),
            ("lesion_share", args.tokenizer_lesion_share),
        )
        if value is not None
    }
    if tokenizer_changes:
        changes["tokenizer"] = replace(config.tokenizer, **tokenizer_changes)
    config = replace(config, **changes)
    if not (0.0 <= config.tokenizer.lesion_share <= 1.0) or config.tokenizer.lesion_weight < 0:
        raise UserError("--tokenizer-lesion-share must be in 0..1 and --tokenizer-lesion-weight >= 0")
    if config.n_train < 1 or config.n_val < 0 or config.n_focus < 0 or args.workers < 1:
        raise UserError("--n-train must be >= 1, --n-val and --n-focus >= 0 and --workers >= 1")
    if config.vit.epochs < 1 or config.vit.score_from < 1:
        raise UserError("--epochs and --score-from must be >= 1")
    if not 0.0 <= config.vit.mirror_p <= 1.0:
        raise UserError("--mirror-p must be in 0..1")
    if config.vit.rank_weight < 0:
        raise UserError("--rank-weight must be >= 0")
    if not 1 <= config.vit.head_ensemble <= 4:
        raise UserError(
            "--head-ensemble must be in 1..4 (at the recipe's sizes 4 averaged heads make a 22.7 MB "
            "bundle; 5 would pass the demo bundle's 30 MB limit)"
        )
    forked, after = config.vit.branches > 1, config.vit.branch_after
    if config.vit.branches < 1 or (forked and not 0 <= after < config.vit.epochs):
        raise UserError("--branches must be >= 1 and --branch-after in 0..epochs-1")
    work_dir = args.work_dir or cache_dir() / "demo_train"
    try:
        metrics = train_demo_model(
            out_dir=args.out, config=config, work_dir=work_dir, workers=args.workers, progress=_Printer()
        )
    except FileExistsError as exc:
        raise UserError(str(exc)) from None
    auc = metrics["validation"].get("diagnosis_auc", {})
    mean = auc.get("mean")
    print(
        f"wrote {args.out} in {metrics['wall_seconds']:.0f} s; validation mean AUC "
        f"{'n/a' if mean is None else f'{mean:.3f}'}. Demo model: synthetic phantoms, not diagnostic.",
        file=sys.stderr,
    )
    return 0
