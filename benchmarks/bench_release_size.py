"""Peak memory and time of converting and loading a checkpoint of the released Prima's size.

Usage: ``python benchmarks/bench_release_size.py [--distinct-heads N] [--compare] [--keep DIR]``

Builds a random full-model file in the official layout at the sizes of
``fixtures/prima_parity/real_architecture_manifest.json`` (sequence ViT 292 wide, 15 layers, 20 cls
tokens; study ViT 1024 wide, 4 layers, 10 cls tokens; heads 10240 -> 4000 -> 1000 -> n) with
``N`` distinct diagnosis heads (default 52: every name its own head, the worst case), 5 referral
heads and a 4-level priority head, plus a released-size tokenizer. Head weights come from
memory-mapped random files so that building the file does not itself need the memory.

Then, each in a fresh process, it measures peak resident memory (``ru_maxrss``) and time of:
``import`` only (the floor), ``convert_official`` (ours: inert tree, tensors read one at a
time, streamed safetensors), ``load_bundle`` + two ``predict_tokens`` calls (heads beyond the 1 GiB
budget read on demand). With ``--compare`` (and enough free memory) it also runs the obvious
alternatives and prints the ratios: loading the whole checkpoint into memory (weights-only
``torch.load`` with the same inert stand-ins), and loading the bundle with every head resident.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from prima_core.model.tokenizer import RELEASED_TOKENIZER_CONFIG, build_vqvae  # noqa: E402
from tests.core import official_fakes as fakes  # noqa: E402

# VmHWM (peak resident set of this process's own memory map) rather than ru_maxrss, which a
# child inherits from the parent it was forked from.
_MEASURE = """
import json, re, sys, time
sys.path.insert(0, {root!r})
start = time.perf_counter()
{body}
hwm = int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
print("RESULT " + json.dumps(dict(result, seconds=time.perf_counter() - start, peak_mib=hwm / 1024)))
"""

IMPORT_ONLY = """
import torch
from prima_core.model import load_bundle, convert_official
result = {}
"""

CONVERT = """
from pathlib import Path
from prima_core.model import convert_official
convert_official(full_model=Path({model!r}), tokenizer=Path({tok!r}), out_dir=Path({out!r}))
result = {{}}
"""

PREDICT = """
import torch
from prima_core.model import load_bundle
t0 = time.perf_counter()
bundle = load_bundle({out!r}, device="cpu", head_budget_bytes={budget})
t1 = time.perf_counter()
g = torch.Generator().manual_seed(0)
tokens = [torch.randn(n, 289, generator=g) for n in (180, 150, 120)]
out = bundle.predict_tokens(tokens, ["AX_T1", "COR_FLAIR", "SAG_T2"], "MRI BRAIN WO AND W CONTRAST")
t2 = time.perf_counter()
bundle.predict_tokens(tokens, ["AX_T1", "COR_FLAIR", "SAG_T2"], "MRI BRAIN WO AND W CONTRAST")
t3 = time.perf_counter()
result = dict(load_s=t1 - t0, first_predict_s=t2 - t1, second_predict_s=t3 - t2,
              diagnoses=len(out.diagnosis), resident=bundle.model.heads.is_resident)
"""

WHOLE_LOAD = """
import torch
from pathlib import Path
from prima_core.model import safe_unpickle as su
path = Path({model!r})
names = [n for n in su.pickle_globals(su._data_pickle(path)[0]) if n not in su._torch_safe_globals()]
with torch.serialization.safe_globals([(su.stand_in(n), n) for n in names]):
    tree = torch.load(path, map_location="cpu", weights_only=True)
result = {{}}
"""


def measure(body: str) -> dict:
    code = _MEASURE.format(root=str(ROOT), body=body)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(lines[-1][len("RESULT ") :])


def mapped_head_factory(folder: Path):
    """Heads whose weights are private mappings of one random file per shape (no RAM needed)."""
    files: dict[tuple[int, ...], Path] = {}

    def tensor(shape: tuple[int, ...]) -> torch.Tensor:
        if shape not in files:
            path = folder / f"random_{'x'.join(map(str, shape))}.bin"
            rng = np.random.default_rng(len(files))
            scale = 1.0 / np.sqrt(shape[-1])
            (rng.standard_normal(int(np.prod(shape)), dtype=np.float32) * scale).tofile(path)
            files[shape] = path
        count = int(np.prod(shape))
        return torch.from_file(str(files[shape]), shared=False, size=count, dtype=torch.float32).view(shape)

    def head(dims: list[int]) -> nn.Sequential:
        with torch.device("meta"):
            module = fakes._head(dims)
        for layer in module:
            if isinstance(layer, nn.Linear):
                layer.weight = nn.Parameter(tensor(tuple(layer.weight.shape)), requires_grad=False)
                layer.bias = nn.Parameter(tensor(tuple(layer.bias.shape)), requires_grad=False)
        return module

    return head


def build_release_size(folder: Path, distinct_heads: int) -> tuple[Path, Path]:
    variant = fakes.Variant(
        inner_dim=292,
        inner_heads=(16, 64),
        inner_depth=15,
        inner_cls=20,
        inner_mlp=1024,
        series_dim=1024,
        outer_heads=(8, 64),
        outer_depth=4,
        outer_cls=10,
        outer_mlp=1024,
        head_hidden=(4000, 1000),
        diagnoses=52,
        distinct_diagnosis_heads=distinct_heads,
        referrals=5,
        priority_levels=4,
        head_factory=mapped_head_factory(folder),
    )
    model = fakes.build(variant)
    model_path = fakes.save(model, folder / "primafullmodel_release_size.pt")
    del model
    tokenizer_path = folder / "vqvae_release_size.pth"
    torch.save(build_vqvae(RELEASED_TOKENIZER_CONFIG).state_dict(), tokenizer_path)
    return model_path, tokenizer_path


def available_mib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--distinct-heads", type=int, default=52)
    parser.add_argument("--compare", action="store_true", help="also run the whole-in-memory alternatives")
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="prima_release_size_"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        start = time.perf_counter()
        model_path, tokenizer_path = build_release_size(folder, args.distinct_heads)
        size_mib = model_path.stat().st_size / 2**20
        print(f"built {model_path.name}: {size_mib:,.0f} MiB in {time.perf_counter() - start:.0f} s")
        out = folder / "bundle"
        shutil.rmtree(out, ignore_errors=True)
        floor = measure(IMPORT_ONLY)
        convert = measure(CONVERT.format(model=str(model_path), tok=str(tokenizer_path), out=str(out)))
        predict = measure(PREDICT.format(out=str(out), budget=1 << 30))
        print(f"import only:            peak {floor['peak_mib']:7,.0f} MiB")
        print(f"convert_official:       peak {convert['peak_mib']:7,.0f} MiB  {convert['seconds']:6.1f} s")
        print(
            f"load_bundle + predict:  peak {predict['peak_mib']:7,.0f} MiB  load {predict['load_s']:.1f} s, "
            f"predict {predict['first_predict_s']:.1f} s then {predict['second_predict_s']:.1f} s "
            f"(heads resident: {predict['resident']})"
        )
        if args.compare:
            if available_mib() < 2.2 * size_mib:
                free = available_mib()
                print(f"--compare skipped: {free:,.0f} MiB free, the alternatives need ~{size_mib:,.0f}")
                return
            whole = measure(WHOLE_LOAD.format(model=str(model_path)))
            resident = measure(PREDICT.format(out=str(out), budget=1 << 40))
            print(
                f"whole-file torch.load:  peak {whole['peak_mib']:7,.0f} MiB  ratio ours/alt "
                f"{convert['peak_mib'] / whole['peak_mib']:.2f}"
            )
            print(
                f"all heads resident:     peak {resident['peak_mib']:7,.0f} MiB  ratio ours/alt "
                f"{predict['peak_mib'] / resident['peak_mib']:.2f}; "
                f"predict {resident['first_predict_s']:.1f} s then {resident['second_predict_s']:.1f} s"
            )
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
