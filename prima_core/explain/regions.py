"""Ranked top regions of an explanation, and the pointing game.

A region is a high-scoring patch: patches of every series (scores summed over a patch's copies)
are ranked by score, and a patch is skipped when its centre lies within ``nms_mm`` (20 mm) of a
region already taken, in *any* series -- all series of a study share the patient's frame of
reference, so the same lesion seen in the axial and the sagittal series is one place. This is
non-maximum suppression rather than clustering: it is simple, deterministic and its regions
are exactly patches the model read, with the patch's box as the extent.

Pooling evidence instead -- ranking places by the summed (or per-series maximum, or Gaussian-
weighted) positive scores of all patches within 10-30 mm, raw or normalized per series -- was
measured against this rule on the demo model's 44 localizing targets of evaluation seeds
3000080-3000159: Integrated Gradients 30-32 hits against 31, LIME 16-25 against 26. The single
best patch stays the rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from prima_core.io.volume import Volume
from prima_core.pipeline.geometry import token_box_lps, token_centers_lps
from prima_core.pipeline.preprocess import PreparedSeries

NMS_MM = 20.0
MAX_REGIONS = 10


@dataclass(frozen=True)
class Region:
    """One ranked place: centre and extent in patient LPS mm, raw score and score / top score."""

    series: str
    center_lps: tuple[float, float, float]
    extent_mm: tuple[float, float, float]
    score: float
    relative: float
    coord: tuple[int, int, int]  # the patch's padded-grid start (c0, c1, c2)

    def to_dict(self) -> dict[str, Any]:
        return {
            "series": self.series,
            "center_lps": [round(v, 3) for v in self.center_lps],
            "extent_mm": [round(v, 3) for v in self.extent_mm],
            "score": self.score,
            "relative": round(self.relative, 6),
            "coord": list(self.coord),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Region:
        return cls(
            series=str(data["series"]),
            center_lps=tuple(float(v) for v in data["center_lps"]),  # type: ignore[arg-type]
            extent_mm=tuple(float(v) for v in data["extent_mm"]),  # type: ignore[arg-type]
            score=float(data["score"]),
            relative=float(data["relative"]),
            coord=tuple(int(v) for v in data["coord"]),  # type: ignore[arg-type]
        )


def patch_totals(coords: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct patches of one series and their summed scores."""
    coords = np.asarray(coords, dtype=np.int64).reshape(-1, 3)
    unique, inverse = np.unique(coords, axis=0, return_inverse=True)
    totals = np.zeros(len(unique))
    np.add.at(totals, inverse.reshape(-1), np.asarray(scores, dtype=np.float64).reshape(-1))
    return unique, totals


def top_regions(
    series: Sequence[tuple[str, PreparedSeries, np.ndarray, np.ndarray]],
    *,
    nms_mm: float = NMS_MM,
    max_regions: int = MAX_REGIONS,
) -> list[Region]:
    """Regions from ``(name, prepared, coords, scores)`` per series, best first (positive only)."""
    candidates = []
    for name, prepared, coords, scores in series:
        unique, totals = patch_totals(coords, scores)
        centres = token_centers_lps(prepared, unique) if len(unique) else np.zeros((0, 3))
        for coord, total, centre in zip(unique, totals, centres, strict=True):
            if total > 0:
                candidates.append((float(total), name, prepared, coord, centre))
    candidates.sort(key=lambda c: -c[0])
    top = candidates[0][0] if candidates else 0.0
    chosen: list[Region] = []
    for total, name, prepared, coord, centre in candidates:
        if any(np.linalg.norm(centre - np.asarray(r.center_lps)) < nms_mm for r in chosen):
            continue
        corners = token_box_lps(prepared, coord)
        extent = corners.max(axis=0) - corners.min(axis=0)
        chosen.append(
            Region(
                series=name,
                center_lps=tuple(float(v) for v in centre),  # type: ignore[arg-type]
                extent_mm=tuple(float(v) for v in extent),  # type: ignore[arg-type]
                score=total,
                relative=total / top if top > 0 else 0.0,
                coord=tuple(int(v) for v in coord),  # type: ignore[arg-type]
            )
        )
        if len(chosen) >= max_regions:
            break
    return chosen


def _mask_points(mask: Volume | str | Path, base_dir: Path | None) -> np.ndarray:
    """LPS centres of a lesion mask's voxels (a Volume or a NIfTI path, RAS on disk)."""
    if not isinstance(mask, Volume):
        from prima_core.io.nifti import nifti_volume

        path = Path(mask)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        mask = nifti_volume(path, None)
    k, j, i = np.nonzero(np.asarray(mask.array) > 0)
    return mask.index_to_lps(np.stack([i, j, k], axis=-1).astype(np.float64))


def lesion_distance_mm(point: Sequence[float], lesion: Any, *, base_dir: Path | None = None) -> float:
    """Distance from ``point`` to a lesion: to its nearest mask voxel when a mask is given
    (``{"center_lps": ..., "mask": path or Volume}``), else to its centre (3 numbers)."""
    p = np.asarray(point, dtype=np.float64)
    if isinstance(lesion, Mapping):
        if lesion.get("mask") is not None:
            voxels = _mask_points(lesion["mask"], base_dir)
            if len(voxels):
                return float(np.sqrt(((voxels - p) ** 2).sum(axis=1).min()))
        lesion = lesion["center_lps"]
    return float(np.linalg.norm(np.asarray(lesion, dtype=np.float64) - p))


def pointing_game(
    explanation: Any, lesions: Sequence[Any], *, radius_mm: float = 20.0, base_dir: Path | None = None
) -> bool:
    """Whether the explanation's top region lies within ``radius_mm`` of any of the lesions.

    ``lesions``: LPS centres ``[x, y, z]``, or ``ground_truth.json`` entries
    ``{"center_lps": [...], "mask": "masks/x.nii.gz"}`` (the mask, relative to ``base_dir``, is
    used when present: distance to its nearest voxel). No region or no lesion: ``False``.
    """
    regions = explanation.regions
    if not regions or not lesions:
        return False
    centre = regions[0].center_lps
    return any(lesion_distance_mm(centre, lesion, base_dir=base_dir) <= radius_mm for lesion in lesions)
