"""Train the demo tokenizer: a small MONAI VQ-VAE of the released family, as an autoencoder.

Training patches are sampled from the kept tokens of the training studies, prepared as the
pipeline prepares them for the encoder: cut from the padded LPS grid, divided by the volume's
maximum, each of the 4 slices repeated twice (``repeat_interleave`` along the slice axis, what
``encode_patches`` does). Patches of different slice axes have different shapes, so each batch
is drawn from one slice axis, in proportion to how many patches each axis has.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from monai.networks.nets import VQVAE

from prima_core.demo.dataset_records import load_record
from prima_core.demo.train_config import TokenizerTrainConfig
from prima_core.model.tokenizer import Tokenizer, build_vqvae
from prima_core.progress import CancelToken, ProgressCallback, check, report


@dataclass
class PatchPool:
    """Training patches (tokenizer input, slices already repeated) grouped by slice axis."""

    by_axis: dict[int, torch.Tensor]  # axis -> (n, 1, A, B, C) float32

    @property
    def total(self) -> int:
        return sum(len(t) for t in self.by_axis.values())


def sample_patches(record_paths: Sequence[Path], *, per_study: int, rng: np.random.Generator) -> PatchPool:
    """``per_study`` random distinct kept patches of each study, spread over its series."""
    groups: dict[int, list[np.ndarray]] = {}
    for path in record_paths:
        record = load_record(path)
        per_series = max(1, math.ceil(per_study / max(len(record.series), 1)))
        for series in record.series:
            n = len(series.raw_patches)
            pick = np.sort(rng.choice(n, size=min(per_series, n), replace=False))
            repeated = np.repeat(series.scaled_patches(pick), 2, axis=1 + series.grid.slice_axis)
            groups.setdefault(series.grid.slice_axis, []).append(repeated)
    return PatchPool({axis: torch.from_numpy(np.concatenate(p))[:, None] for axis, p in groups.items()})


def _lr(step: int, total: int, base: float) -> float:
    warm = max(1, total // 20)
    if step < warm:
        return base * (step + 1) / warm
    return base * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))


def reconstruction_error(vqvae: VQVAE, pool: PatchPool, *, batch: int = 64) -> float:
    """Mean squared reconstruction error over a pool (inputs are in 0..1)."""
    vqvae.eval()
    total, count = 0.0, 0
    with torch.inference_mode():
        for patches in pool.by_axis.values():
            for start in range(0, len(patches), batch):
                x = patches[start : start + batch]
                recon, _ = vqvae(x)
                total += float(((recon - x) ** 2).sum())
                count += x.numel()
    return total / max(count, 1)


def train_vqvae(
    pool: PatchPool,
    config: TokenizerTrainConfig,
    *,
    seed: int,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> VQVAE:
    """Autoencoder training: reconstruction MSE plus MONAI's quantization (commitment) loss."""
    torch.manual_seed(seed)
    rng = np.random.default_rng([seed, 11])
    vqvae = build_vqvae(config.vqvae_config())
    optimizer = torch.optim.Adam(vqvae.parameters(), lr=config.lr)
    axes = sorted(pool.by_axis)
    weights = np.array([len(pool.by_axis[a]) for a in axes], dtype=np.float64)
    weights /= weights.sum()
    vqvae.train()
    for step in range(config.steps):
        check(cancel)
        axis = axes[int(rng.choice(len(axes), p=weights))]
        patches = pool.by_axis[axis]
        x = patches[torch.from_numpy(rng.integers(0, len(patches), size=config.batch))]
        for group in optimizer.param_groups:
            group["lr"] = _lr(step, config.steps, config.lr)
        recon, quantization_loss = vqvae(x)
        loss = torch.nn.functional.mse_loss(recon, x) + quantization_loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step % 50 == 0 or step == config.steps - 1:
            report(
                progress,
                "tokenizer",
                (step + 1) / config.steps,
                f"step {step + 1}: loss {loss.detach().item():.5f}",
            )
    return vqvae.eval()


def latent_std(vqvae: VQVAE, pool: PatchPool, *, batch: int = 64) -> float:
    """Standard deviation of the encoder output (before quantization) over a pool."""
    values = []
    with torch.inference_mode():
        for patches in pool.by_axis.values():
            for start in range(0, len(patches), batch):
                values.append(vqvae.encoder(patches[start : start + batch]).flatten())
    return float(torch.cat(values).std())


def rescale_latents(vqvae: VQVAE, factor: float) -> None:
    """Multiply the latent space by ``factor`` without changing what the VQ-VAE computes.

    The encoder's last convolution and the codebook are scaled by ``factor`` and the decoder's
    first convolution by ``1 / factor``: nearest-codeword choices and reconstructions stay the
    same, only the latents (what Prima's tokens carry) get a new scale. The demo recipe uses it
    to give the latents unit spread: a VQ-VAE's latent scale is arbitrary, and latents much
    smaller than the 30-value position code would leave the token content nearly invisible to
    the sequence transformer's LayerNorm.
    """
    with torch.no_grad():
        last = vqvae.encoder.blocks[-1].conv
        last.weight.mul_(factor)
        last.bias.mul_(factor)
        quantizer = vqvae.quantizer.quantizer
        quantizer.embedding.weight.mul_(factor)
        quantizer.ema_w.mul_(factor)
        vqvae.decoder.blocks[0].conv.weight.div_(factor)


def tokenizer_from_state(config: dict, state: dict[str, torch.Tensor]) -> Tokenizer:
    """The inference tokenizer (encoder only) that a bundle built from ``state`` would load."""
    tokenizer = Tokenizer(config)
    tokenizer.load_encoder({k: v.detach().clone() for k, v in state.items()})
    return tokenizer
