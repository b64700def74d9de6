"""Token vectors of recorded phantom studies, made by the pipeline's own encoding and assembly.

``tokenize_record`` is ``select_and_encode`` + ``assemble_tokens`` of :mod:`prima_core.pipeline`
with the selection and patches read from the record instead of recomputed: ``encode_patches``
(4 -> 8 slice repeat, the tokenizer's encoder) on the distinct kept patches, then
``assemble_tokens`` (duplicates, orientation swap, position code, one-hot). A test checks that the
vectors equal what ``predict_study`` builds from the DICOM files.

Token vectors are cached per study as safetensors under a folder named after the tokenizer's
weights, so a retrained tokenizer never reads stale tokens.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from prima_core.demo.dataset_records import SeriesRecord, StudyRecord
from prima_core.demo.dataset_stats import study_statistics
from prima_core.pipeline.encoder import LatentEncoder, encode_patches
from prima_core.pipeline.preprocess import PreparedSeries
from prima_core.pipeline.tokenize import EncodedSelection, assemble_tokens


@dataclass
class TokenizedStudy:
    """What the ViT trains on: token vectors and names per series, and the study's labels."""

    seed: int
    labels: list[str]
    description: str
    series_names: list[str]
    vectors: list[torch.Tensor]  # (n_i, 289) float32
    lesions: list[torch.Tensor] | None = None  # (n_i, n_findings) bool per token, when recorded
    bins: list[torch.Tensor] | None = None  # (n_i, 3) int64 intensity-statistic bins per token
    histograms: torch.Tensor | None = None  # (n_series, 3 * STAT_BINS) per-series histograms


def _token_lesions(series: SeriesRecord) -> torch.Tensor | None:
    """Per-patch lesion labels expanded to the kept tokens (release order, duplicates included)."""
    if series.lesions is None:
        return None
    _, inverse = np.unique(series.selection.kept, return_inverse=True)
    return torch.from_numpy(np.asarray(series.lesions, dtype=bool)[inverse.reshape(-1)])


def tokenize_record(record: StudyRecord, encoder: LatentEncoder, *, device: torch.device) -> TokenizedStudy:
    """Encode every series of a record and assemble its token vectors (pipeline code)."""
    vectors, lesions = [], []
    for series in record.series:
        latents = encode_patches(
            encoder, series.scaled_patches(), slice_axis=series.grid.slice_axis, device=device
        )
        encoded = EncodedSelection(selection=series.selection, unique_latents=latents)
        prepared = cast(PreparedSeries, SimpleNamespace(grid=series.grid))  # assembly reads only the grid
        vectors.append(assemble_tokens(prepared, encoded).vectors)
        lesions.append(_token_lesions(series))
    study = TokenizedStudy(
        seed=record.seed,
        labels=list(record.labels),
        description=record.description,
        series_names=[s.name for s in record.series],
        vectors=vectors,
        lesions=None if any(x is None for x in lesions) else [x for x in lesions if x is not None],
    )
    attach_statistics(study, record)
    return study


def attach_statistics(study: TokenizedStudy, record: StudyRecord) -> None:
    """Add the per-token bins and per-series histograms of :mod:`.dataset_stats` from the record."""
    if [s.name for s in record.series] != study.series_names:
        raise ValueError(f"record {record.seed} does not match its tokens")
    study.bins, study.histograms = study_statistics(record)


def state_fingerprint(state: dict[str, torch.Tensor]) -> str:
    """A short hash of a tokenizer's encoder weights (names the token cache folder)."""
    h = hashlib.sha256()
    for name in sorted(k for k in state if k.startswith("encoder.")):
        h.update(name.encode())
        h.update(state[name].detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def save_tokens(study: TokenizedStudy, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {
        "seed": study.seed,
        "labels": study.labels,
        "description": study.description,
        "series_names": study.series_names,
    }
    tensors = {f"vectors_{i}": v.contiguous() for i, v in enumerate(study.vectors)}
    for i, lesion in enumerate(study.lesions or []):
        tensors[f"lesions_{i}"] = lesion.to(torch.uint8).contiguous()
    for i, bins in enumerate(study.bins or []):
        tensors[f"bins_{i}"] = bins.contiguous()
    if study.histograms is not None:
        tensors["histograms"] = study.histograms.contiguous()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    save_file(tensors, str(tmp), metadata={"meta": json.dumps(meta)})
    os.replace(tmp, path)


def load_tokens(path: Path) -> TokenizedStudy:
    with safe_open(str(path), framework="pt") as f:
        meta = json.loads((f.metadata() or {})["meta"])
        count = len(meta["series_names"])
        vectors = [f.get_tensor(f"vectors_{i}") for i in range(count)]
        lesions = None
        stored = set(f.keys())  # noqa: SIM118 - a safetensors file handle, not a dict
        if "lesions_0" in stored:
            lesions = [f.get_tensor(f"lesions_{i}").bool() for i in range(count)]
        bins = [f.get_tensor(f"bins_{i}") for i in range(count)] if "bins_0" in stored else None
        histograms = f.get_tensor("histograms") if "histograms" in stored else None
    return TokenizedStudy(
        seed=int(meta["seed"]),
        labels=list(meta["labels"]),
        description=str(meta["description"]),
        series_names=list(meta["series_names"]),
        vectors=vectors,
        lesions=lesions,
        bins=bins,
        histograms=histograms,
    )
