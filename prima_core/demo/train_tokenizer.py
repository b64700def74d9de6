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

from prima_core.demo.dataset_records import SeriesRecord, load_record
from prima_core.demo.train_config import TokenizerTrainConfig
from prima_core.model.tokenizer import Tokenizer, build_vqvae
from prima_core.progress import CancelToken, ProgressCallback, check, report


@dataclass
class PatchPool:
    """Training patches (tokenizer input, slices already repeated) grouped by slice axis."""

    by_axis: dict[int, torch.Tensor]  # axis -> (n, 1, A, B, C) float32
    # axis -> (n, n_findings) float32: the patch touches that finding's lesion mask
    lesions: dict[int, torch.Tensor] | None = None

    @property
    def total(self) -> int:
        return sum(len(t) for t in self.by_axis.values())


def _series_lesions(series: SeriesRecord, n_findings: int) -> np.ndarray:
    n = len(series.raw_patches)
    if series.lesions is None:
        return np.zeros((n, n_findings), dtype=bool)
    return np.asarray(series.lesions, dtype=bool)


def _pick(lesions: np.ndarray, count: int, lesion_share: float, rng: np.random.Generator) -> np.ndarray:
    """``count`` distinct patch rows, ``lesion_share`` of them (as far as there are) touching a lesion."""
    n = len(lesions)
    if lesion_share <= 0:
        return np.sort(rng.choice(n, size=min(count, n), replace=False))
    hit = np.flatnonzero(lesions.any(axis=1))
    k = min(len(hit), int(round(count * lesion_share)))
    chosen = rng.choice(hit, size=k, replace=False) if k else np.empty(0, dtype=np.int64)
    rest = np.setdiff1d(np.arange(n), chosen)
    others = rng.choice(rest, size=min(count - k, len(rest)), replace=False)
    return np.sort(np.concatenate([chosen, others]).astype(np.int64))


def sample_patches(
    record_paths: Sequence[Path],
    *,
    per_study: int,
    rng: np.random.Generator,
    lesion_share: float = 0.0,
    n_findings: int = 0,
) -> PatchPool:
    """``per_study`` distinct kept patches of each study, spread over its series.

    With ``lesion_share`` 0 (the recipe) they are drawn at random, and the pool carries no lesion
    labels unless ``n_findings`` asks for them; otherwise that share of each series' patches is
    drawn from those touching a lesion mask (all of them when there are fewer).
    """
    groups: dict[int, list[np.ndarray]] = {}
    labels: dict[int, list[np.ndarray]] = {}
    for path in record_paths:
        record = load_record(path)
        per_series = max(1, math.ceil(per_study / max(len(record.series), 1)))
        for series in record.series:
            lesions = _series_lesions(series, n_findings)
            pick = _pick(lesions, per_series, lesion_share, rng)
            repeated = np.repeat(series.scaled_patches(pick), 2, axis=1 + series.grid.slice_axis)
            groups.setdefault(series.grid.slice_axis, []).append(repeated)
            labels.setdefault(series.grid.slice_axis, []).append(lesions[pick])
    by_axis = {axis: torch.from_numpy(np.concatenate(p))[:, None] for axis, p in groups.items()}
    if not n_findings:
        return PatchPool(by_axis)
    found = {axis: torch.from_numpy(np.concatenate(v).astype(np.float32)) for axis, v in labels.items()}
    return PatchPool(by_axis, found)


def canonical_latents(latents: torch.Tensor, slice_axis: int) -> torch.Tensor:
    """(n, C, a, b, c) encoder output -> (n, C*a*b*c) with the slice axis moved last.

    Patches of the three slice axes then share one layout, so one classifier reads them all.
    """
    return torch.movedim(latents, 2 + slice_axis, 4).reshape(len(latents), -1)


class LesionProbe(torch.nn.Module):
    """Training-only linear classifier: which findings' lesions a patch touches, from its latents.

    It reads the encoder output divided by its (detached) spread, so the term shapes what the
    latents say rather than how large they are; it is never saved into a bundle.
    """

    def __init__(self, n_latent: int, n_findings: int) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(n_latent, n_findings)

    def forward(self, latents: torch.Tensor, slice_axis: int) -> torch.Tensor:
        flat = canonical_latents(latents, slice_axis)
        return self.linear(flat / flat.detach().std().clamp_min(1e-6))


def _positive_weight(lesions: dict[int, torch.Tensor]) -> torch.Tensor:
    """Per-finding weight of positives (rare lesion patches), capped at 50."""
    rate = torch.cat(list(lesions.values())).mean(0)
    return ((1 - rate) / rate.clamp_min(1e-3)).clamp(max=50.0)


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
    """Autoencoder training: reconstruction MSE plus MONAI's quantization (commitment) loss.

    With ``config.lesion_weight`` > 0 (and a pool with lesion labels) a :class:`LesionProbe` on
    the encoder output adds a weighted multi-label cross-entropy term.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng([seed, 11])
    vqvae = build_vqvae(config.vqvae_config())
    axes = sorted(pool.by_axis)
    probe: LesionProbe | None = None
    positive_weight = torch.ones(1)
    if config.lesion_weight > 0:
        if pool.lesions is None:
            raise ValueError("lesion_weight needs a patch pool with lesion labels")
        with torch.no_grad():
            n_latent = vqvae.encoder(pool.by_axis[axes[0]][:1]).numel()
        probe = LesionProbe(n_latent, pool.lesions[axes[0]].shape[1])
        positive_weight = _positive_weight(pool.lesions)
    params = list(vqvae.parameters()) + (list(probe.parameters()) if probe is not None else [])
    optimizer = torch.optim.Adam(params, lr=config.lr)
    weights = np.array([len(pool.by_axis[a]) for a in axes], dtype=np.float64)
    weights /= weights.sum()
    vqvae.train()
    for step in range(config.steps):
        check(cancel)
        axis = axes[int(rng.choice(len(axes), p=weights))]
        patches = pool.by_axis[axis]
        index = torch.from_numpy(rng.integers(0, len(patches), size=config.batch))
        x = patches[index]
        for group in optimizer.param_groups:
            group["lr"] = _lr(step, config.steps, config.lr)
        latents = vqvae.encode(x)
        quantized, quantization_loss = vqvae.quantize(latents)
        recon = vqvae.decode(quantized)
        loss = torch.nn.functional.mse_loss(recon, x) + quantization_loss
        if probe is not None and pool.lesions is not None:
            logits = probe(latents, axis)
            loss = loss + config.lesion_weight * torch.nn.functional.binary_cross_entropy_with_logits(
                logits, pool.lesions[axis][index], pos_weight=positive_weight
            )
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
