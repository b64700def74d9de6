"""Demo-recipe ViT training step: fp32 against bf16 autocast (``prima demo-train --precision``).

Usage: ``python benchmarks/bench_train_precision.py [--steps N] [--threads T]``

Studies of the recipe's size (5 series of 400 tokens each, lesion labels on 3 % of the tokens,
intensity-statistic bins and histograms, as the training records hold them; random values: the
time of a step depends on the shapes only), a batch of 4 studies, the recipe's model, auxiliary
probes, losses and AdamW. Each precision gets a fresh model from the same seed and runs the same
batches; the first step is a warm-up and not counted. Prints the median step time of each, the
ratio, and the two losses of the last step (bf16 changes the numbers a little, not the loss).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from prima_core.demo.dataset_stats import SERIES_TYPES, STAT_BINS, STATS  # noqa: E402
from prima_core.demo.dataset_tokens import TokenizedStudy  # noqa: E402
from prima_core.demo.train_config import VitTrainConfig  # noqa: E402
from prima_core.demo.train_losses import AuxiliaryProbes, DemoLoss, Targets  # noqa: E402
from prima_core.demo.train_model import build_demo_model  # noqa: E402
from prima_core.demo.train_targets import diagnosis_names  # noqa: E402
from prima_core.model.precision import autocast, cpu_has_native_bf16  # noqa: E402
from prima_core.pipeline.tokens import TOKEN_DIM  # noqa: E402

LABELS = ["tumor_adult_high_grade_glioma", "structural_edema", "structural_mass_effect"]


def _study(seed: int, *, series: int = 5, tokens: int = 400) -> TokenizedStudy:
    g = torch.Generator().manual_seed(seed)
    n_findings = len(diagnosis_names())
    names = [f"AX_{SERIES_TYPES[i % len(SERIES_TYPES)]}" for i in range(series)]
    lesions = [torch.rand(tokens, n_findings, generator=g) < 0.03 for _ in names]
    return TokenizedStudy(
        seed=seed,
        labels=LABELS if seed % 2 else [],
        description="MRI BRAIN WO AND W CONTRAST",
        series_names=names,
        vectors=[torch.randn(tokens, TOKEN_DIM, generator=g) for _ in names],
        lesions=lesions,
        bins=[torch.randint(0, STAT_BINS, (tokens, len(STATS)), generator=g) for _ in names],
        histograms=torch.rand(series, len(STATS) * STAT_BINS, generator=g),
    )


def _run(studies: list[TokenizedStudy], dtype: torch.dtype | None, steps: int) -> tuple[list[float], float]:
    config = VitTrainConfig()
    torch.manual_seed(0)
    model = build_demo_model(config)
    probes = AuxiliaryProbes(config.width, config.inner_depth, config.series_dim, len(diagnosis_names()))
    loss_fn = DemoLoss(studies, config, probes)
    optimizer = torch.optim.AdamW([*model.parameters(), *probes.parameters()], lr=config.lr)
    times, loss = [], torch.zeros(())
    for step in range(steps + 1):
        batch = [studies[(4 * step + i) % len(studies)] for i in range(4)]
        start = time.perf_counter()
        with autocast(torch.device("cpu"), dtype):
            loss = loss_fn(model, batch, Targets.of(batch)).float()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step:  # step 0 is the warm-up
            times.append(time.perf_counter() - start)
    return times, float(loss.detach())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    studies = [_study(seed) for seed in range(8)]
    fp32, loss32 = _run(studies, None, args.steps)
    print(f"fp32: median step {statistics.median(fp32):.2f} s ({args.steps} steps, 4 studies each)")
    if not cpu_has_native_bf16():
        print("bf16: skipped, this CPU has no native bf16 (the recipe refuses --precision bf16 here)")
        return 0
    bf16, loss16 = _run(studies, torch.bfloat16, args.steps)
    print(f"bf16: median step {statistics.median(bf16):.2f} s")
    print(f"ratio fp32 / bf16: {statistics.median(fp32) / statistics.median(bf16):.2f}x")
    print(f"last-step loss: fp32 {loss32:.4f}, bf16 {loss16:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
