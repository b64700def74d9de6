"""``Explanation``: per-token scores, heat maps in each series' own grid, regions, series shares.

Scores are signed for every method but rollout (positive = evidence for the target). Heat maps
show positive evidence only, divided by the study's highest patch score (``scale``, raw units,
kept in the metadata) so the top is 1 in every series alike; the signed scores stay on the
explanation and in its JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from prima_core import RESEARCH_CAVEAT
from prima_core.explain.heatmap import block_scores, heatmap_volume
from prima_core.explain.methods import SaliencyMethod
from prima_core.explain.regions import Region, top_regions
from prima_core.explain.targets import Target, TargetKind
from prima_core.io.volume import Volume

FORMAT = "prima-explanation-1"


@dataclass
class Explanation:
    """One method's explanation of one target for one study (see the module docstring)."""

    method: SaliencyMethod
    target: Target
    params: dict[str, Any]
    model: dict[str, Any]
    series_names: list[str]
    coords: list[np.ndarray] = field(repr=False)  # per series (n_i, 3) padded-grid starts
    token_scores: list[np.ndarray] = field(repr=False)  # per series (n_i,), signed, per copy
    series_contributions: dict[str, float]
    full_value: float
    scale: float
    regions: list[Region]
    metadata: dict[str, Any]
    heatmaps: list[Volume] = field(default_factory=list, repr=False)

    @property
    def caveat(self) -> str:
        demo = self.model.get("caveat")
        return f"{demo} {RESEARCH_CAVEAT}" if demo else RESEARCH_CAVEAT

    def heatmap(self, series_name: str) -> Volume:
        return self.heatmaps[self.series_names.index(series_name)]

    def to_dict(self) -> dict[str, Any]:
        """JSON form (no voxel arrays: heat maps are written as NIfTI by the CLI)."""
        return {
            "format": FORMAT,
            "method": str(self.method),
            "method_description": self.method.description,
            "target": self.target.to_dict(),
            "target_agnostic": self.method.target_agnostic,
            "params": dict(self.params),
            "model": dict(self.model),
            "full_value": self.full_value,
            "scale": self.scale,
            "series": [
                {
                    "name": name,
                    "coords": np.asarray(c).tolist(),
                    "scores": [float(v) for v in np.asarray(s, dtype=np.float64)],
                }
                for name, c, s in zip(self.series_names, self.coords, self.token_scores, strict=True)
            ],
            "series_contributions": dict(self.series_contributions),
            "regions": [r.to_dict() for r in self.regions],
            "metadata": dict(self.metadata),
            "caveat": self.caveat,
        }

    def save(self, folder: Path) -> None:
        """``explanation.json`` + ``scores.npz`` (no pickle) into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, Any] = {}
        for i, scores in enumerate(self.token_scores):
            arrays[f"scores_{i}"] = np.asarray(scores, dtype=np.float64)
        arrays.update({f"coords_{i}": np.asarray(c, dtype=np.int64) for i, c in enumerate(self.coords)})
        np.savez_compressed(folder / "scores.npz", **arrays)
        payload = self.to_dict()
        for entry in payload["series"]:
            del entry["coords"], entry["scores"]
        (folder / "explanation.json").write_text(json.dumps(payload), encoding="utf-8")


def load_saved(folder: Path, prediction: Any) -> Explanation:
    """Read an explanation written by :meth:`Explanation.save`; heat maps are rendered again
    from the scores and the prediction's series geometry."""
    data = json.loads((folder / "explanation.json").read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown explanation format {data.get('format')!r}")
    with np.load(folder / "scores.npz", allow_pickle=False) as npz:
        n = len(data["series"])
        scores = [npz[f"scores_{i}"] for i in range(n)]
        coords = [npz[f"coords_{i}"] for i in range(n)]
    target = Target(TargetKind(data["target"]["kind"]), data["target"]["name"])
    explanation = Explanation(
        method=SaliencyMethod(data["method"]),
        target=target,
        params=data["params"],
        model=data["model"],
        series_names=[s["name"] for s in data["series"]],
        coords=coords,
        token_scores=scores,
        series_contributions={k: float(v) for k, v in data["series_contributions"].items()},
        full_value=float(data["full_value"]),
        scale=float(data["scale"]),
        regions=[Region.from_dict(r) for r in data["regions"]],
        metadata=data["metadata"],
    )
    explanation.heatmaps = render_heatmaps(explanation, prediction)
    return explanation


def display_scale(prediction: Any, coords: list[np.ndarray], scores: list[np.ndarray]) -> float:
    """The study's highest positive patch score (sum over a patch's copies)."""
    top = 0.0
    for series, c, s in zip(prediction.series, coords, scores, strict=True):
        blocks = block_scores(series.prepared, c, s)
        top = max(top, float(blocks.max(initial=0.0)))
    return top


def render_heatmaps(explanation: Explanation, prediction: Any) -> list[Volume]:
    meta = {
        "method": str(explanation.method),
        "target": str(explanation.target),
        "target_agnostic": explanation.method.target_agnostic,
        "caveat": explanation.caveat,
    }
    parts = zip(
        prediction.series, explanation.series_names, explanation.coords, explanation.token_scores, strict=True
    )
    return [
        heatmap_volume(series.prepared, c, s, scale=explanation.scale, metadata={**meta, "series": name})
        for series, name, c, s in parts
    ]


def build_explanation(
    prediction: Any,
    *,
    method: SaliencyMethod,
    target: Target,
    params: dict[str, Any],
    model: dict[str, Any],
    token_scores: list[np.ndarray],
    series_contributions: dict[str, float],
    full_value: float,
    metadata: dict[str, Any],
    series_names: list[str] | None = None,
    with_regions: bool = True,
) -> Explanation:
    """Assemble an explanation: display scale, regions and heat maps from the token scores.

    ``series_names``: the names to show (default: the prediction's)."""
    names = list(series_names or prediction.series_names())
    coords = [np.asarray(s.kept_coords, dtype=np.int64).reshape(-1, 3) for s in prediction.series]
    scale = display_scale(prediction, coords, token_scores)
    per_series = zip(names, prediction.series, coords, token_scores, strict=True)
    regions = top_regions([(n, s.prepared, c, v) for n, s, c, v in per_series]) if with_regions else []
    explanation = Explanation(
        method=method,
        target=target,
        params=params,
        model=model,
        series_names=names,
        coords=coords,
        token_scores=[np.asarray(s, dtype=np.float64) for s in token_scores],
        series_contributions=series_contributions,
        full_value=full_value,
        scale=scale,
        regions=regions,
        metadata=metadata,
    )
    explanation.heatmaps = render_heatmaps(explanation, prediction)
    return explanation
