"""Small metrics for the demo model: ROC AUC, operating thresholds, rank checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def roc_auc(labels: Sequence[float] | np.ndarray, scores: Sequence[float] | np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney U, ties count one half); ``None`` if one class is absent."""
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_scores = s[order]
    # average ranks over ties (1-based)
    start = 0
    while start < len(s):
        end = start
        while end + 1 < len(s) and sorted_scores[end + 1] == sorted_scores[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2.0 + 1.0
        start = end + 1
    u = ranks[y].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def youden_threshold(labels: Sequence[float] | np.ndarray, scores: Sequence[float] | np.ndarray) -> float:
    """The cut-off maximizing sensitivity + specificity - 1 (positive when score > cut-off).

    Candidates are midpoints between consecutive distinct scores; among equally good ones the
    middle candidate is taken, which keeps the cut-off away from both classes. Without both
    classes the cut-off is 0.
    """
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    if y.all() or not y.any():
        return 0.0
    distinct = np.unique(s)
    candidates = np.concatenate(
        ([distinct[0] - 1.0], (distinct[1:] + distinct[:-1]) / 2, [distinct[-1] + 1.0])
    )
    pred = s[None, :] > candidates[:, None]
    tpr = (pred & y).sum(axis=1) / y.sum()
    fpr = (pred & ~y).sum(axis=1) / (~y).sum()
    j = tpr - fpr
    best = np.flatnonzero(np.isclose(j, j.max()))
    return float(candidates[best[len(best) // 2]])


def specificity_threshold(
    labels: Sequence[float] | np.ndarray, scores: Sequence[float] | np.ndarray, *, specificity: float
) -> float:
    """The cut-off at which a fraction ``specificity`` of the negatives score at or below it
    (linear interpolation between their scores; positive when score > cut-off).

    It depends on the negatives only, which every label has in plenty, so it is stable where
    Youden's point, set by the few positives of a validation set, is not. Without negatives the
    cut-off is 0.
    """
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    if y.all():
        return 0.0
    return float(np.quantile(s[~y], specificity))


def rank_among(target: str, margins: Mapping[str, float], *, excluded: set[str]) -> int:
    """1-based rank of ``target``'s margin among itself and every label not in ``excluded``."""
    value = margins[target]
    others = [v for k, v in margins.items() if k != target and k not in excluded]
    return 1 + sum(v >= value for v in others)


def summarize_auc(per_label: Mapping[str, float | None]) -> dict[str, float | None]:
    """Mean and minimum over the labels that have an AUC."""
    values = [v for v in per_label.values() if v is not None]
    if not values:
        return {"mean": None, "min": None}
    return {"mean": float(np.mean(values)), "min": float(np.min(values))}
