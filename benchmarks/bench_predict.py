"""End-to-end ``predict_study`` against a straightforward implementation of the released approach.

Usage: ``python benchmarks/bench_predict.py [--quick] [--json OUT.json]``

Full run: a bundle of the released sizes with random weights (tokenizer 256 channels; sequence
ViT 292 wide, 15 layers, 20 cls; study ViT 1024 wide, 4 layers, 10 cls; heads 10240 -> 4000 ->
1000 -> n) and a synthetic 4-series head study (axial 512^2, axial 320^2, coronal 384^2,
sagittal 256^2 in-plane, 24 slices each). ``--quick``: the tiny parity-fixture model and the two
fixture studies (seconds; checks that the code paths run).

Each configuration runs in a fresh process (time and peak resident memory, VmHWM):

* ``baseline``: the release's approach written plainly -- per-patch Python loop for patches and
  fill values, every patch encoded (chunks of 400, fp32), voxel-level hole filling per bin,
  then one series at a time through the sequence ViT with explicit matmul-softmax attention;
* ``ours-fp32`` and ``ours-auto``: ``predict_study`` with ``--precision fp32`` / ``auto``.

Printed: time per stage, tokenizer tokens/s and GFLOP/s (16.5 GFLOP per token at released
size) against this machine's measured fp32/bf16 matmul peak, ViT share, ratios to the baseline,
the largest margin difference to the baseline, the SDPA-vs-plain attention time for one
1,000-token series, and the largest margin change ``auto`` causes on the parity fixtures.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIXTURES = ROOT.parent / "shared" / "fixtures" / "prima_parity"
GFLOP_PER_TOKEN = 16.5  # released tokenizer encoder, one 8x32x32 patch
DESCRIPTION = "MRI BRAIN WO AND W CONTRAST"


# ---------------------------------------------------------------- model and study building
def release_size_bundle(out: Path) -> Path:
    """Random weights at the released sizes, saved through the model package's ``save_bundle``."""
    from prima_core.model.bundle_write import save_bundle
    from prima_core.model.labels import LabelRef
    from prima_core.model.prima import PrimaModel
    from prima_core.model.spec import ModelSpec
    from prima_core.model.tokenizer import RELEASED_TOKENIZER_CONFIG, build_vqvae

    template = json.loads((FIXTURES / "real_architecture_manifest.json").read_text())["visual_model"]

    def depth(vit: str) -> int:
        layers = (re.match(rf"{vit}\.transformer\.layers\.(\d+)", k) for k in template)
        return 1 + max(int(m.group(1)) for m in layers if m)

    def tf(dim: int, d: int, heads: int, mlp: int) -> dict:
        return {"dim": dim, "depth": d, "heads": heads, "dim_head": 64, "mlp_dim": mlp}

    def names(out_dim: int) -> dict:
        return {"transformer": tf(256, 3, 4, 300), "out_dim": out_dim}

    head = [10240, 4000, 1000]
    spec = ModelSpec.from_dict({
        "visual": {
            "inner": {"transformer": tf(292, depth("innerViT"), 16, 1024), "cls_count": 20},
            "outer": {"transformer": tf(1024, depth("outerViT"), 8, 1024), "cls_count": 10},
            "series_dim": 1024, "series_names": names(292), "study_description": names(1024),
        },
        "heads": {"dx": head + [52], "ref": head + [5], "priority": head + [4]},
    })  # fmt: skip
    diagnoses = [
        LabelRef.from_dict({"name": f"dx_{i:02d}", "head": "dx", "column": i, "threshold": 0.0})
        for i in range(52)
    ]
    referrals = [
        LabelRef.from_dict({"name": f"ref_{i}", "head": "ref", "column": i, "threshold": 0.0})
        for i in range(5)
    ]
    torch.manual_seed(0)
    model = PrimaModel(
        spec, diagnoses=diagnoses, referrals=referrals, priority_levels=["none", "low", "medium", "high"]
    )
    return save_bundle(
        out, model=model, tokenizer_config=RELEASED_TOKENIZER_CONFIG,
        tokenizer_state=build_vqvae(RELEASED_TOKENIZER_CONFIG).state_dict(),
        kind="demo", name="release-size-random",
        description="Random weights at the released sizes (benchmark only).",
    )  # fmt: skip


def _head_phantom(points: np.ndarray, contrast: tuple[float, float, float], rng) -> np.ndarray:
    """Skin / brain / ventricle ellipsoids with smooth texture, background noise ~3."""
    x, y, z = points[..., 0], points[..., 1], (points[..., 2] - 15.0)
    r_head = (x / 75) ** 2 + (y / 95) ** 2 + (z / 80) ** 2
    r_brain = (x / 66) ** 2 + (y / 86) ** 2 + (z / 70) ** 2
    r_vent = ((np.abs(x) - 9) / 7) ** 2 + (y / 25) ** 2 + ((z - 10) / 12) ** 2
    texture = 1 + 0.08 * np.sin(x / 6) * np.cos(y / 7) * np.sin(z / 5)
    skin, brain, csf = contrast
    value = np.where(r_head < 1, skin, 0.0)
    value = np.where(r_brain < 1, brain * texture, value)
    value = np.where(r_vent < 1, csf, value)
    return np.abs(value + rng.normal(0, 3, value.shape)).astype(np.uint16)


def synthetic_study(folder: Path) -> list[dict]:
    """Four series (npy + affine) in realistic geometries; returns their descriptions."""
    rng = np.random.default_rng(0)
    axial, coronal = np.eye(3), np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0.0]])
    sagittal = np.array([[0, 0, -1], [1, 0, 0], [0, -1, 0.0]])
    plans = [  # name, direction, in-plane n, in-plane spacing, slice spacing, contrast
        ("AX_T1_SE", axial, 512, 0.45, 6.0, (900, 600, 200)),
        ("AX_T2_FLAIR", axial, 320, 0.72, 6.0, (700, 800, 120)),
        ("COR_T2", coronal, 384, 0.6, 6.0, (600, 700, 1400)),
        ("SAG_T1", sagittal, 256, 0.94, 6.0, (900, 650, 250)),
    ]
    series = []
    for name, direction, n, sp, thick, contrast in plans:
        nk = 24
        affine = np.eye(4)
        affine[:3, :3] = direction * np.array([sp, sp, thick])
        centre = np.array([(n - 1) / 2, (n - 1) / 2, (nk - 1) / 2])
        affine[:3, 3] = -affine[:3, :3] @ centre + [0.0, 0.0, 15.0]
        k, j, i = np.meshgrid(np.arange(nk), np.arange(n), np.arange(n), indexing="ij")
        points = np.stack([i, j, k], axis=-1) @ affine[:3, :3].T + affine[:3, 3]
        np.save(folder / f"{name}.npy", _head_phantom(points, contrast, rng))
        series.append({"name": name, "affine": affine.tolist()})
    (folder / "study.json").write_text(json.dumps(series))
    return series


def load_study(kind: str, work: Path):
    from prima_core.io import Series, Study, Volume, open_studies

    if kind.startswith("fixture"):
        return open_studies(FIXTURES / "studies" / f"study_{kind[-1]}").studies[0]
    study = Study("2.25.1", description=DESCRIPTION)
    for s in json.loads((work / "study.json").read_text()):
        loader = lambda s=s: Volume(np.load(work / f"{s['name']}.npy"), np.array(s["affine"]))  # noqa: E731
        study.series.append(Series(f"2.25.1.{len(study.series)}", s["name"], loader=loader))
    return study


# ---------------------------------------------------------------- the straightforward baseline
def baseline_tokens(prepared, tokenizer, stats):
    """The release's approach: every patch in a Python loop, all encoded, voxel hole filling."""
    from scipy import ndimage

    from prima_core.pipeline.tokens import token_vectors

    grid, padded = prepared.grid, prepared.padded_array()
    mask = padded > 0.5 if padded.max() < 5 else padded > 50
    scaled = padded / padded.max() if padded.max() > 0 else padded
    p, b = grid.patch_shape, grid.blocks
    patches, coords, values = [], [], []
    for z in range(b[0]):
        for y in range(b[1]):
            for x in range(b[2]):
                sl = np.s_[z * p[0] : (z + 1) * p[0], y * p[1] : (y + 1) * p[1], x * p[2] : (x + 1) * p[2]]
                patches.append(scaled[sl])
                coords.append((z * p[0], y * p[1], x * p[2]))
                values.append(np.mean(mask[sl]) * 100)
    x_all = torch.from_numpy(np.stack(patches)).repeat_interleave(2, dim=1 + grid.slice_axis).unsqueeze(1)
    start, cpu = time.perf_counter(), time.process_time()
    with torch.inference_mode():
        latents = torch.cat([tokenizer.encode_latents(x_all[i : i + 400]) for i in range(0, len(x_all), 400)])
    stats["encode_s"] += time.perf_counter() - start
    stats["encode_cpu_s"] += time.process_time() - cpu
    stats["encoded"] += len(x_all)
    out_bins = {t: [n for n, v in enumerate(values) if t <= v < t + 1] for t in range(101)}
    in_bins = {}
    for t in range(21):
        m = np.zeros(grid.padded_shape, dtype=bool)
        for n in out_bins[t]:
            z, y, x = coords[n]
            m[z : z + p[0], y : y + p[1], x : x + p[2]] = True
        filled = ndimage.binary_fill_holes(m)
        inside = [filled[z : z + p[0], y : y + p[1], x : x + p[2]].all() for z, y, x in coords]
        in_bins[t] = [n for n in range(len(coords)) if inside[n] and n not in out_bins[t]]
    for percent in range(5, -1, -1):
        use = [n for t in range(percent, 101) for n in out_bins[t] + (in_bins[t] if t <= 20 else [])]
        if len(use) > 25:
            break
    kept = np.array([coords[n] for n in use])
    return token_vectors(latents[torch.as_tensor(use)], kept)


def run_baseline(study, bundle, stats):
    from prima_core.model.vit import record_attention
    from prima_core.pipeline.order import release_order
    from prima_core.pipeline.preprocess import prepare_series

    t0 = time.perf_counter()
    vectors, names = [], []
    for series in release_order(study.series):
        vectors.append(baseline_tokens(prepare_series(series.load()), bundle.tokenizer, stats))
        names.append(series.model_name)
    t1 = time.perf_counter()
    with torch.inference_mode(), record_attention():  # explicit softmax, one sequence at a time
        series_vectors = torch.cat(
            [bundle.model.embed_series([v], [n]) for v, n in zip(vectors, names, strict=True)]
        )
        embedding = bundle.model.study_embedding_from_series_vectors(
            series_vectors, study.description or DESCRIPTION
        )
        heads = bundle.model.heads_from_embedding(embedding)
    t2 = time.perf_counter()
    diagnosis = {k: float(v) for k, v in heads.diagnosis.items()}
    return diagnosis, {"tokenize": t1 - t0, "vit": t2 - t1, "total": t2 - t0}, sum(len(v) for v in vectors)


class TimedEncoder:
    def __init__(self, tokenizer, stats):
        self.tokenizer, self.stats = tokenizer, stats
        self.config = getattr(tokenizer, "config", None)  # the pipeline sizes its chunks from it

    def encode_latents(self, x):
        start, cpu = time.perf_counter(), time.process_time()
        out = self.tokenizer.encode_latents(x)
        self.stats["encode_s"] += time.perf_counter() - start
        self.stats["encode_cpu_s"] += time.process_time() - cpu
        self.stats["encoded"] += len(x)
        return out


def child(config: str, bundle_dir: str, study_kind: str, work: str) -> dict:
    from prima_core.model.bundle import load_bundle
    from prima_core.pipeline.predict import predict_study

    precision = "auto" if config == "ours-auto" else "fp32"
    bundle = load_bundle(bundle_dir, device="cpu", precision=precision)
    stats = {"encode_s": 0.0, "encode_cpu_s": 0.0, "encoded": 0}
    study = load_study(study_kind, Path(work))
    cpu = time.process_time()
    if config == "baseline":
        diagnosis, timings, kept = run_baseline(study, bundle, stats)
    else:
        bundle.tokenizer = TimedEncoder(bundle.tokenizer, stats)
        prediction = predict_study(study, bundle, cache=False)
        diagnosis, timings = prediction.diagnosis, prediction.timings
        kept = sum(s.tokens_kept for s in prediction.series)
    stats["cpu_total_s"] = time.process_time() - cpu
    hwm = int(re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text()).group(1))
    return {"diagnosis": diagnosis, "timings": timings, "kept": kept, **stats, "peak_mib": hwm / 1024}


def in_child(config: str, bundle_dir: Path, study_kind: str, work: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", config, str(bundle_dir), study_kind, str(work)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(lines[-1][len("RESULT ") :])


# ---------------------------------------------------------------- machine peak, attention, auto drift
def matmul_peak(dtype: torch.dtype, n: int = 2048) -> dict:
    """GFLOP/s of a large matmul: by wall clock, and per CPU-second times threads (what an idle
    machine would give; the development machine is shared, so wall-clock figures vary)."""
    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    a @ b
    start, cpu, reps = time.perf_counter(), time.process_time(), 0
    while time.perf_counter() - start < 3.0:
        a @ b
        reps += 1
    flop = 2 * n**3 * reps / 1e9
    cpu_rate = flop / (time.process_time() - cpu) * torch.get_num_threads()
    return {"wall": flop / (time.perf_counter() - start), "cpu": cpu_rate}


def attention_1000(bundle_dir: Path) -> dict:
    from prima_core.model.bundle import load_bundle
    from prima_core.model.vit import record_attention

    bundle = load_bundle(bundle_dir, device="cpu", precision="fp32")
    tokens = [torch.randn(1000, 289)]

    def timed(plain: bool) -> float:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            with torch.inference_mode():
                if plain:
                    with record_attention():
                        bundle.model.embed_series(tokens, ["AX_T1"])
                else:
                    bundle.model.embed_series(tokens, ["AX_T1"])
            best = min(best, time.perf_counter() - start)
        return best

    sdpa, plain = timed(False), timed(True)
    return {"sdpa_s": sdpa, "plain_s": plain, "ratio": plain / sdpa}


def auto_drift_on_fixtures(work: Path) -> float:
    """Largest |margin(auto) - margin(fp32)| over diagnoses, referrals, priority of both studies."""
    from prima_core.model.bundle import load_bundle
    from prima_core.model.convert import convert_official
    from prima_core.pipeline.predict import predict_study

    out = convert_official(
        full_model=FIXTURES / "full_model.pt", tokenizer_config=FIXTURES / "tokenizer_config.json",
        out_dir=work / "fixture_bundle",
    )  # fmt: skip
    runs = {p: load_bundle(out, device="cpu", precision=p) for p in ("fp32", "auto")}
    worst = 0.0
    for letter in "ab":
        results = {
            p: predict_study(load_study(f"fixture_{letter}", work), b, cache=False) for p, b in runs.items()
        }
        for group in ("diagnosis", "referral", "priority"):
            a, f = getattr(results["auto"], group), getattr(results["fp32"], group)
            worst = max(worst, max(abs(a[k] - f[k]) for k in f))
    return worst


# ---------------------------------------------------------------- report
def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fixture model and studies (seconds)")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    report: dict = {"quick": args.quick, "threads": torch.get_num_threads()}
    report["peak_gflops"] = {"fp32": matmul_peak(torch.float32), "bf16": matmul_peak(torch.bfloat16)}
    with tempfile.TemporaryDirectory(prefix="bench_predict_") as tmp:
        work = Path(tmp)
        if args.quick:
            from prima_core.model.convert import convert_official

            bundle_dir = convert_official(
                full_model=FIXTURES / "full_model.pt", tokenizer_config=FIXTURES / "tokenizer_config.json",
                out_dir=work / "bundle",
            )  # fmt: skip
            study_kind = "fixture_a"
        else:
            print(
                "building a released-size bundle with random weights and a synthetic study ...",
                file=sys.stderr,
            )
            bundle_dir, study_kind = release_size_bundle(work / "bundle"), "synthetic"
            synthetic_study(work)
        for config in ("baseline", "ours-fp32", "ours-auto"):
            print(f"running {config} ...", file=sys.stderr)
            report[config] = in_child(config, bundle_dir, study_kind, work)
        if not args.quick:
            report["attention_1000_tokens"] = attention_1000(bundle_dir)
        report["auto_max_margin_change_on_fixtures"] = auto_drift_on_fixtures(work)
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


def print_report(r: dict) -> None:
    """Wall-clock figures, plus CPU-time figures (rate per CPU-second x threads) that estimate an
    idle machine: the 2-core development machine is shared, so wall clock alone misleads."""
    base, threads, peaks = r["baseline"], r["threads"], r["peak_gflops"]
    print(f"machine: {threads} threads; matmul peak fp32 {peaks['fp32']['wall']:.0f} GFLOP/s wall, "
          f"{peaks['fp32']['cpu']:.0f} CPU-time; bf16 {peaks['bf16']['wall']:.0f} wall, "
          f"{peaks['bf16']['cpu']:.0f} CPU-time")  # fmt: skip
    print(f"{'config':10} {'total s':>8} {'CPU s':>7} {'tokenize':>9} {'vit s':>6} {'vit %':>6} "
          f"{'encoded':>8} {'tok/s':>6} {'tok/CPUs':>9} {'GFLOP/s':>8} {'% peak':>7} {'peak MiB':>9} "
          f"{'x wall':>7} {'x CPU':>6} {'max|dm|':>8}")  # fmt: skip
    for config in ("baseline", "ours-fp32", "ours-auto"):
        c, t = r[config], r[config]["timings"]
        rate = c["encoded"] / c["encode_s"] if c["encode_s"] else float("nan")
        cpu_rate = c["encoded"] / c["encode_cpu_s"] * threads if c["encode_cpu_s"] else float("nan")
        gflops = cpu_rate * GFLOP_PER_TOKEN
        peak = peaks["bf16" if config == "ours-auto" else "fp32"]["cpu"]
        drift = max(abs(c["diagnosis"][k] - base["diagnosis"][k]) for k in base["diagnosis"])
        print(f"{config:10} {t['total']:8.1f} {c['cpu_total_s']:7.1f} {t.get('tokenize', 0.0):9.1f} "
              f"{t['vit']:6.2f} {100 * t['vit'] / t['total']:5.1f}% {c['encoded']:8d} {rate:6.1f} "
              f"{cpu_rate:9.1f} {gflops:8.0f} {100 * gflops / peak:6.0f}% {c['peak_mib']:9.0f} "
              f"{base['timings']['total'] / t['total']:6.2f}x {base['cpu_total_s'] / c['cpu_total_s']:5.2f}x "
              f"{drift:8.1e}")  # fmt: skip
    print(f"tokens kept (all series): {base['kept']}; patches encoded by the baseline: {base['encoded']}")
    print(
        "tok/CPUs, GFLOP/s and % peak: per CPU-second x threads (idle-machine estimate); "
        "max|dm|: largest diagnosis-margin difference to the baseline"
    )
    if "attention_1000_tokens" in r:
        a = r["attention_1000_tokens"]
        print(f"one 1,000-token series through the sequence ViT: SDPA {a['sdpa_s']:.2f} s, "
              f"plain softmax {a['plain_s']:.2f} s ({a['ratio']:.1f}x)")  # fmt: skip
    print(f"largest margin change caused by --precision auto on the parity fixtures: "
          f"{r['auto_max_margin_change_on_fixtures']:.2e}")  # fmt: skip
    if r["quick"]:
        print("(quick mode: tiny fixture model; GFLOP/s figures assume the released tokenizer size)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print("RESULT " + json.dumps(child(*sys.argv[2:6])))
    else:
        main()
