"""On-disk record of one phantom study as the pipeline prepared it (before the tokenizer).

Per series: the token grid, the selection (kept patch numbers in the release's order, percent,
tries), the raw intensities of each distinct kept patch, the padded volume's maximum, and which
distinct kept patches touch which finding's lesion mask (:mod:`.dataset_lesions`). The
tokenizer input is ``raw / peak`` in float32, exactly what ``scaled_padded`` then ``cut_patches``
give (the division is elementwise, so cutting first changes nothing). Raw intensities are stored
as uint16 when they are whole numbers in range (DICOM integer pixels stay integers through the
pipeline's resampling), else float32. Files are ``.npz`` read with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from prima_core.pipeline.grid import TokenGrid
from prima_core.pipeline.selection import Selection

RECORD_FORMAT = "prima-demo-record-2"


def _compact(raw: np.ndarray) -> np.ndarray:
    """uint16 when lossless, else float32."""
    raw = np.asarray(raw, dtype=np.float32)
    if raw.size and raw.min() >= 0 and raw.max() <= 65535 and np.array_equal(raw, np.round(raw)):
        return raw.astype(np.uint16)
    return raw


@dataclass
class SeriesRecord:
    """One series: grid, selection, distinct kept patches (raw) and the padded maximum."""

    name: str
    grid: TokenGrid
    selection: Selection
    raw_patches: np.ndarray  # (u, p0, p1, p2), one per distinct kept patch, ascending number
    peak: float
    lesions: np.ndarray | None = None  # (u, n_findings) bool: patch touches a lesion mask

    @classmethod
    def from_raw(
        cls,
        *,
        name: str,
        grid: TokenGrid,
        selection: Selection,
        raw_patches: np.ndarray,
        peak: float,
        lesions: np.ndarray | None = None,
    ) -> SeriesRecord:
        return cls(name, grid, selection, _compact(raw_patches), peak, lesions)

    def scaled_patches(self, index: np.ndarray | slice | None = None) -> np.ndarray:
        """Tokenizer input: patches divided by the padded volume's maximum (float32)."""
        raw = self.raw_patches if index is None else self.raw_patches[index]
        raw = raw.astype(np.float32)
        peak = np.float32(self.peak)
        return raw / peak if peak > 0 else raw

    def meta(self) -> dict[str, Any]:
        g, s = self.grid, self.selection
        return {
            "name": self.name,
            "grid": {
                "shape": list(g.shape),
                "slice_axis": g.slice_axis,
                "patch_shape": list(g.patch_shape),
                "pad_before": list(g.pad_before),
                "padded_shape": list(g.padded_shape),
            },
            "percent": s.percent,
            "filter_calls": [list(c) for c in s.filter_calls],
            "tokens_total": s.tokens_total,
            "peak": self.peak,
        }


@dataclass
class StudyRecord:
    """A phantom study as the model sees it, with its labels."""

    seed: int
    labels: list[str]
    requested: list[str]
    description: str
    series: list[SeriesRecord]

    @property
    def n_tokens(self) -> int:
        return sum(len(s.selection.kept) for s in self.series)


def save_record(record: StudyRecord, path: Path) -> Path:
    """Write atomically (a partial file never has the final name)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "format": RECORD_FORMAT,
        "seed": record.seed,
        "labels": record.labels,
        "requested": record.requested,
        "description": record.description,
        "series": [s.meta() for s in record.series],
    }
    arrays: dict[str, np.ndarray] = {"meta": np.array(json.dumps(meta))}
    for i, s in enumerate(record.series):
        arrays[f"kept_{i}"] = np.asarray(s.selection.kept, dtype=np.int64)
        arrays[f"patches_{i}"] = s.raw_patches
        if s.lesions is not None:
            arrays[f"lesions_{i}"] = np.asarray(s.lesions, dtype=bool)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, path)
    return path


def _grid(data: dict[str, Any]) -> TokenGrid:
    return TokenGrid(
        shape=tuple(data["shape"]),
        slice_axis=int(data["slice_axis"]),
        patch_shape=tuple(data["patch_shape"]),
        pad_before=tuple(data["pad_before"]),
        padded_shape=tuple(data["padded_shape"]),
    )


def load_record(path: Path, *, patches: bool = True) -> StudyRecord:
    """Read a record; ``patches=False`` skips the patch arrays (labels and grids only)."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        if meta.get("format") != RECORD_FORMAT:
            raise ValueError(f"{path}: not a demo study record")
        series = []
        for i, m in enumerate(meta["series"]):
            selection = Selection(
                kept=data[f"kept_{i}"],
                percent=int(m["percent"]),
                filter_calls=[(int(a), int(b)) for a, b in m["filter_calls"]],
                tokens_total=int(m["tokens_total"]),
            )
            raw = data[f"patches_{i}"] if patches else np.empty((0, 0, 0, 0), dtype=np.uint16)
            lesions = data[f"lesions_{i}"] if f"lesions_{i}" in data.files else None
            grid = _grid(m["grid"])
            series.append(SeriesRecord(m["name"], grid, selection, raw, float(m["peak"]), lesions))
    return StudyRecord(
        seed=int(meta["seed"]),
        labels=list(meta["labels"]),
        requested=list(meta["requested"]),
        description=str(meta["description"]),
        series=series,
    )
