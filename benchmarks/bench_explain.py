"""Time every explanation method against the prediction's own transformer time.

Usage: ``python benchmarks/bench_explain.py [--quick] [--budget SECONDS] [--json OUT.json]``

Three models, each on CPU in this process:

* the parity-fixture model (tiny, random weights) on fixture study A, every method;
* the demo model (trained on synthetic phantoms) on fixture study A, when it is installed;
* random weights at the released sizes (``bench_predict.release_size_bundle``) on
  ``bench_predict``'s synthetic 4-series head study. Its token vectors come from the fixture
  tokenizer: which patches are kept depends only on the image, and the transformers' cost only on
  how many tokens there are, so this gives the released-size explanation cost without spending
  minutes in the released tokenizer (explanations never run the tokenizer anyway).

Compared in the same run, as ratios: each method against the prediction's ViT + heads time
(``predict_tokens``, best of 3); ``--precision auto`` (bf16 autocast where the CPU has native
bf16) against fp32; Integrated Gradients with batched steps against one step per pass.
Occlusion and LIME at released size stop after ``--budget`` seconds each and are extrapolated
from their passes per second (marked ``~``). ``--quick`` runs only rollout, gradient x input and
IG at released size. The machine's load average is printed: it is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_predict  # noqa: E402

from prima_core.errors import Cancelled  # noqa: E402
from prima_core.explain import SaliencyMethod, explain  # noqa: E402
from prima_core.explain import gradients as gradient_module  # noqa: E402
from prima_core.io import open_studies  # noqa: E402
from prima_core.model.bundle import load_bundle  # noqa: E402
from prima_core.model_registry import demo_bundle_dir  # noqa: E402
from prima_core.pipeline.predict import predict_study  # noqa: E402
from prima_core.progress import CancelToken, ProgressEvent  # noqa: E402

Row = dict

FIXTURES = bench_predict.FIXTURES
FAST = (
    SaliencyMethod.ATTENTION_ROLLOUT,
    SaliencyMethod.GRADIENT_X_INPUT,
    SaliencyMethod.INTEGRATED_GRADIENTS,
)


def vit_seconds(prediction, bundle) -> tuple[float, float]:
    """The prediction's transformer + heads wall and CPU seconds for these tokens (best of 3)."""
    best, cpu = float("inf"), float("inf")
    for _ in range(3):
        start, cpu_start = time.perf_counter(), time.process_time()
        bundle.predict_tokens(
            prediction.token_vectors(), prediction.series_names(), prediction.study_description
        )
        best, cpu = min(best, time.perf_counter() - start), min(cpu, time.process_time() - cpu_start)
    return best, cpu


class Budget:
    """Progress callback that cancels a run after ``seconds`` and remembers how far it got."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds, self.token = seconds, CancelToken()
        self.start, self.cpu_start = time.perf_counter(), time.process_time()
        self.done, self.total = 0, 1

    def __call__(self, event: ProgressEvent) -> None:
        if ": pass " in event.message:
            done, total = event.message.rsplit(" ", 1)[-1].split("/")
            self.done, self.total = int(done), int(total)
        if self.seconds is not None and time.perf_counter() - self.start > self.seconds:
            self.token.cancel()

    def row(self, *, estimated: bool, **extra) -> Row:
        scale = self.total / max(self.done, 1) if estimated else 1.0
        return {
            "seconds": (time.perf_counter() - self.start) * scale,
            "cpu_s": (time.process_time() - self.cpu_start) * scale,
            "passes": self.total,
            "estimated": estimated,
            **extra,
        }


def time_method(prediction, bundle, method: SaliencyMethod, *, target: str, budget_s=None, **kw) -> Row:
    """Wall and CPU seconds of one explanation (extrapolated when the budget stops it)."""
    budget = Budget(budget_s)
    try:
        explanation = explain(
            prediction, bundle, target=target, method=method, progress=budget, cancel=budget.token, **kw
        )
    except Cancelled:
        return budget.row(estimated=True)
    meta = explanation.metadata
    return budget.row(estimated=False, delta=meta.get("convergence_delta")) | {
        "passes": meta["forward_passes"]
    }


def ig_batching(prediction, bundle, *, target: str, steps: int) -> dict:
    """Integrated Gradients with batched steps against one step per forward pass."""
    method = SaliencyMethod.INTEGRATED_GRADIENTS
    batched = time_method(prediction, bundle, method, target=target, steps=steps)
    saved = gradient_module.BATCH_TOKENS
    gradient_module.BATCH_TOKENS = 1
    try:
        one = time_method(prediction, bundle, method, target=target, steps=steps)
    finally:
        gradient_module.BATCH_TOKENS = saved
    return {"steps": steps, "batched": batched, "one_step_per_pass": one}


def suite(
    label: str, prediction, bundles: dict, methods, *, budget_s, options: dict, compare_steps: int
) -> dict:
    """Every method in ``methods`` (fp32), the fast ones under ``auto``, and IG batching."""
    fp32 = bundles["fp32"]
    target = next(iter(fp32.model.diagnoses))
    result: dict = {"label": label, "tokens": sum(len(t) for t in prediction.token_vectors())}
    result["series"] = len(prediction.series)
    result["vit_s"], result["vit_cpu_s"] = vit_seconds(prediction, fp32)
    log = lambda text: print(f"[{label}] {text} (load {os.getloadavg()[0]:.1f})", file=sys.stderr)  # noqa: E731
    log(f"{result['tokens']} tokens in {result['series']} series; prediction ViT {result['vit_s']:.2f} s")
    explain(prediction, fp32, target=target, method="gradient_x_input")  # warm-up
    result["fp32"] = {}
    for method in methods:
        slow = method in (SaliencyMethod.OCCLUSION, SaliencyMethod.LIME)
        row = time_method(
            prediction, fp32, method, target=target, budget_s=budget_s if slow else None, **options
        )
        result["fp32"][str(method)] = row
        log(f"{method} fp32: {row}")
    result["auto"] = {}
    for method in FAST:
        row = time_method(prediction, bundles["auto"], method, target=target, steps=options["steps"])
        result["auto"][str(method)] = row
        log(f"{method} auto: {row}")
    if compare_steps:
        result["ig_batching"] = ig_batching(prediction, fp32, target=target, steps=compare_steps)
        log(f"IG batching: {result['ig_batching']}")
    return result


def load_both(path: Path) -> dict:
    return {p: load_bundle(path, device="cpu", precision=p) for p in ("fp32", "auto")}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="released size: rollout, gradient x input, IG only"
    )
    parser.add_argument(
        "--budget", type=float, default=60.0, help="seconds for occlusion / LIME at released size"
    )
    parser.add_argument("--steps", type=int, default=16)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    report = {"threads": torch.get_num_threads(), "load_before": os.getloadavg()[0], "suites": []}
    options = {"steps": args.steps, "samples": args.samples}
    with tempfile.TemporaryDirectory(prefix="bench_explain_") as tmp:
        work = Path(tmp)
        from prima_core.model.convert import convert_official

        fixture_dir = convert_official(
            full_model=FIXTURES / "full_model.pt",
            tokenizer_config=FIXTURES / "tokenizer_config.json",
            out_dir=work / "fixture",
        )
        fixture = load_both(fixture_dir)
        study_a = open_studies(FIXTURES / "studies" / "study_a").studies[0]
        prediction = predict_study(study_a, fixture["fp32"], cache=False)
        everything = list(SaliencyMethod)
        report["suites"].append(
            suite(
                "fixture", prediction, fixture, everything, budget_s=None, options=options, compare_steps=16
            )
        )
        if (demo_bundle_dir() / "manifest.json").is_file():
            demo = load_both(demo_bundle_dir())
            prediction = predict_study(study_a, demo["fp32"], cache=False)
            report["suites"].append(
                suite("demo", prediction, demo, everything, budget_s=None, options=options, compare_steps=16)
            )
        print("building the released-size bundle and the synthetic 4-series study ...", file=sys.stderr)
        released = load_both(bench_predict.release_size_bundle(work / "released"))
        bench_predict.synthetic_study(work)
        prediction = predict_study(bench_predict.load_study("synthetic", work), fixture["fp32"], cache=False)
        methods = list(FAST) if args.quick else everything
        report["suites"].append(
            suite(
                "released",
                prediction,
                released,
                methods,
                budget_s=args.budget,
                options=options,
                compare_steps=0 if args.quick else 4,
            )  # fmt: skip
        )
    report["load_after"] = os.getloadavg()[0]
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str))


def _cell(row: Row | None, vit: float, key: str) -> str:
    if row is None:
        return f"{'-':>18}"
    mark = "~" if row["estimated"] else " "
    return f"{mark}{row[key]:7.2f} s {row[key] / vit:6.1f}x"


def print_report(r: dict) -> None:
    print(f"CPU threads {r['threads']}; load average {r['load_before']:.1f} before, "
          f"{r['load_after']:.1f} after. The 2 cores are shared with other work: wall times are "
          "inflated by the load; CPU seconds (this process) much less so.")  # fmt: skip
    for s in r["suites"]:
        print(f"\n{s['label']}: {s['tokens']} tokens, {s['series']} series; prediction ViT + heads "
              f"{s['vit_s']:.2f} s wall, {s['vit_cpu_s']:.2f} s CPU")  # fmt: skip
        print(f"{'method':22} {'fp32 wall (x ViT)':>18} {'fp32 CPU (x ViT)':>18} {'auto wall (x ViT)':>18} "
              f"{'auto CPU (x ViT)':>18} {'passes':>7}")  # fmt: skip
        for method, row in s["fp32"].items():
            auto = s["auto"].get(method)
            print(f"{method:22} {_cell(row, s['vit_s'], 'seconds')} {_cell(row, s['vit_cpu_s'], 'cpu_s')} "
                  f"{_cell(auto, s['vit_s'], 'seconds')} {_cell(auto, s['vit_cpu_s'], 'cpu_s')} "
                  f"{row['passes']:7d}")  # fmt: skip
        ig = s["fp32"].get("integrated_gradients")
        if ig:
            print(f"IG completeness delta {ig['delta']:.2e}")
        if "ig_batching" in s:
            b = s["ig_batching"]
            fast, slow = b["batched"], b["one_step_per_pass"]
            print(f"IG with {b['steps']} steps: batched {fast['seconds']:.2f} s "
                  f"({fast['cpu_s']:.1f} CPU s) vs "
                  f"one step per pass {slow['seconds']:.2f} s ({slow['cpu_s']:.1f} CPU s): "
                  f"{slow['cpu_s'] / fast['cpu_s']:.2f}x CPU")  # fmt: skip
    print("\n~ = extrapolated from the passes done within the budget; x ViT = ratio to the prediction's "
          "ViT + heads time for the same tokens (wall to wall, CPU to CPU)")  # fmt: skip


if __name__ == "__main__":
    main()
