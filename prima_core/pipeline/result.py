"""What one run of Prima on a study produced, and its JSON form.

Margins are not probabilities: ``> 0`` means positive at the operating point the Prima authors
chose. Every result carries the research-use caveat; a demo model's result also says that the
model was trained on synthetic phantoms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from prima_core import DEMO_CAVEAT, RESEARCH_CAVEAT
from prima_core.pipeline.preprocess import PreparedSeries
from prima_core.pipeline.tokens import SeriesTokens

DEFAULT_STUDY_DESCRIPTION = "MRI BRAIN WO AND W CONTRAST"
MARGINS_NOTE = "Margins are not probabilities: > 0 means positive at the authors' operating point."


@dataclass
class SeriesResult:
    """One series as Prima saw it. ``prepared`` and ``tokens`` stay in memory only (explanations
    reuse them instead of running the tokenizer again); ``to_dict`` leaves them out."""

    name: str
    series_instance_uid: str
    tokens_total: int
    tokens_kept: int
    kept_coords: np.ndarray  # (n, 3) padded-grid (c0, c1, c2), release order, duplicates kept
    padded_shape: tuple[int, int, int]
    slice_axis: int
    percent: int
    filter_calls: list[tuple[int, int]]
    from_cache: bool
    prepared: PreparedSeries = field(repr=False)
    tokens: SeriesTokens = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "series_instance_uid": self.series_instance_uid,
            "tokens_total": self.tokens_total,
            "tokens_kept": self.tokens_kept,
            "kept_coords": np.asarray(self.kept_coords).tolist(),
            "padded_shape": list(self.padded_shape),
            "slice_axis": self.slice_axis,
            "percent": self.percent,
            "filter_calls": [list(c) for c in self.filter_calls],
            "from_cache": self.from_cache,
        }


@dataclass(frozen=True)
class SkippedSeries:
    name: str
    reason: str


@dataclass
class Prediction:
    """Prima's output for one study, with the facts needed to trust and explain it."""

    diagnosis: dict[str, float]
    referral: dict[str, float]
    priority: dict[str, float]
    study_embedding: list[float]
    series: list[SeriesResult]
    skipped_series: list[SkippedSeries]
    model: dict[str, Any]
    study_description: str
    device: str
    precision: str
    timings: dict[str, float]

    @property
    def is_demo(self) -> bool:
        return self.model.get("kind") == "demo"

    @property
    def caveat(self) -> str:
        return f"{DEMO_CAVEAT} {RESEARCH_CAVEAT}" if self.is_demo else RESEARCH_CAVEAT

    def token_vectors(self) -> list[torch.Tensor]:
        """The (n_i, 289) token vectors per series, in series order (no tokenizer rerun)."""
        return [s.tokens.vectors for s in self.series]

    def series_names(self) -> list[str]:
        return [s.name for s in self.series]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable summary (no tensors, no voxel arrays)."""
        return {
            "diagnosis": dict(self.diagnosis),
            "referral": dict(self.referral),
            "priority": dict(self.priority),
            "study_embedding": [float(v) for v in np.asarray(self.study_embedding).ravel()],
            "series": [s.to_dict() for s in self.series],
            "skipped_series": [{"name": s.name, "reason": s.reason} for s in self.skipped_series],
            "study_description": self.study_description,
            "model": dict(self.model),
            "device": self.device,
            "precision": self.precision,
            "timings": {k: round(float(v), 4) for k, v in self.timings.items()},
            "margins_note": MARGINS_NOTE,
            "caveat": self.caveat,
        }


def manifest_summary(manifest: dict[str, Any], *, kind: str) -> dict[str, Any]:
    """The parts of a bundle manifest that a result should carry: which model, from what files."""
    summary: dict[str, Any] = {
        "name": manifest.get("name", ""),
        "kind": kind,
        "description": manifest.get("description", ""),
        "format_version": manifest.get("format_version"),
        "created": manifest.get("created"),
        "diagnoses": len(manifest.get("diagnoses", [])),
        "referrals": len(manifest.get("referrals", [])),
        "priority_levels": list(manifest.get("priority_levels", [])),
        "sources": [{"file": s.get("file"), "sha256": s.get("sha256")} for s in manifest.get("sources", [])],
    }
    if kind == "demo":
        summary["caveat"] = DEMO_CAVEAT
    return summary
