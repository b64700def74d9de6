"""Tokenizer speed on CPU: fp32 (reference) vs bf16 autocast, with and without channels-last.

Usage: ``python benchmarks/bench_tokenizer_precision.py [--patches N] [--repeats R]``

Runs the released-size VQ-VAE encoder (random weights; speed does not depend on the values) on
``N`` patches of 8 x 32 x 32 voxels, the shape every kept token has, and prints the median time
per configuration, the ratio to fp32, and the largest latent difference from fp32 relative to
the latent range. ``--precision auto`` uses bf16 + channels-last on CPUs with native bf16
(AVX512-BF16 or AMX); this benchmark is what that choice rests on.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from prima_core.model.precision import cpu_has_native_bf16  # noqa: E402
from prima_core.model.tokenizer import RELEASED_TOKENIZER_CONFIG, Tokenizer, build_vqvae  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patches", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    tokenizer = Tokenizer(RELEASED_TOKENIZER_CONFIG)
    tokenizer.load_encoder(build_vqvae(RELEASED_TOKENIZER_CONFIG).state_dict())
    patches = torch.rand(args.patches, 1, 8, 32, 32)
    configs = [
        ("fp32", None, False),
        ("fp32 channels-last", None, True),
        ("bf16", torch.bfloat16, False),
        ("bf16 channels-last", torch.bfloat16, True),
    ]
    threads = torch.get_num_threads()
    print(f"CPU native bf16: {cpu_has_native_bf16()}, threads: {threads}, patches: {args.patches}")
    reference, base = None, None
    for name, dtype, channels_last in configs:
        tokenizer.set_precision(dtype, channels_last=channels_last)
        with torch.inference_mode():
            tokenizer.encode_latents(patches[:4])  # warm-up
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                latents = tokenizer.encode_latents(patches)
                times.append(time.perf_counter() - start)
        seconds = statistics.median(times)
        if reference is None:
            reference, base = latents, seconds
        error = float((latents - reference).abs().max() / reference.abs().max())
        print(f"{name:20s} {seconds:7.3f} s  ratio {seconds / base:5.2f}  max diff / range {error:.2e}")


if __name__ == "__main__":
    main()
