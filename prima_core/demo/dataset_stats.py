"""Intensity statistics of each kept patch and each series: auxiliary targets for the demo ViT.

Per token (kept patch, release order, duplicates included): which of ``STAT_BINS`` equal bins of
[0, 1] its mean, maximum and 90th percentile fall in, on the tokenizer's input scale (raw / the
padded volume's maximum). Per series: the histogram of those three statistics over its tokens
(3 x ``STAT_BINS`` fractions). And the series' sequence type, from its name.

Why: a linear model on these per-series histograms, kept apart by sequence type, already separates
most demo findings, while a hierarchical ViT trained from scratch on a few hundred studies with
study labels alone does not learn to compute them. Training the sequence ViT to predict them (and
the study ViT to keep the series of each type apart, see :mod:`.train_losses`) gives it that
start. Nothing at inference reads these values.
"""

from __future__ import annotations

import numpy as np
import torch

from prima_core.demo.dataset_records import SeriesRecord, StudyRecord

STAT_BINS = 12
STATS = ("mean", "max", "p90")
# Sequence types of the phantom protocols, from the series name's part after the plane
SERIES_TYPES = ("ADC", "DWI_B1000", "FLAIR", "SWI", "T1", "T1_POST", "T2_FSE")


def series_type(name: str) -> int:
    """Index in ``SERIES_TYPES`` of a phantom series name such as ``COR_T1_POST`` (-1: unknown)."""
    _, _, rest = name.partition("_")
    return SERIES_TYPES.index(rest) if rest in SERIES_TYPES else -1


def patch_statistics(series: SeriesRecord) -> tuple[torch.Tensor, torch.Tensor]:
    """(tokens, 3) bin indices per kept token and the (3 * STAT_BINS,) histogram of the series."""
    patches = series.scaled_patches().reshape(len(series.raw_patches), -1)
    stats = np.stack([patches.mean(1), patches.max(1), np.percentile(patches, 90, axis=1)], axis=1)
    _, inverse = np.unique(series.selection.kept, return_inverse=True)
    per_token = stats[inverse.reshape(-1)]
    bins = np.clip(np.floor(per_token * STAT_BINS), 0, STAT_BINS - 1).astype(np.int64)
    counts = np.stack([np.bincount(bins[:, s], minlength=STAT_BINS) for s in range(len(STATS))])
    histogram = (counts / max(len(bins), 1)).astype(np.float32).reshape(-1)
    return torch.from_numpy(bins), torch.from_numpy(histogram)


def study_statistics(record: StudyRecord) -> tuple[list[torch.Tensor], torch.Tensor]:
    """``patch_statistics`` of every series: token bins per series, (n_series, 3 * STAT_BINS)."""
    pairs = [patch_statistics(series) for series in record.series]
    return [b for b, _ in pairs], torch.stack([h for _, h in pairs])
