"""Turn per-study evaluation outcomes into the demo model's metrics (AUC, ranks, pointing game)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from prima_core.demo.dataset import primary_findings
from prima_core.demo.eval_metrics import rank_among, roc_auc, summarize_auc
from prima_core.demo.train_targets import PRIORITY_LEVELS, REFERRALS, priority_level, referral_vector


def _auc_table(outcomes: Sequence[Any], names: Sequence[str]) -> dict[str, Any]:
    per: dict[str, float | None] = {}
    counts: dict[str, int] = {}
    for name in names:
        truth = [name in o.labels for o in outcomes]
        per[name] = roc_auc(truth, [o.diagnosis[name] for o in outcomes])
        counts[name] = int(sum(truth))
    summary = summarize_auc(per)
    return {"per_finding": per, "positives": counts, "mean": summary["mean"], "min": summary["min"]}


def _single_finding(outcomes: Sequence[Any]) -> dict[str, Any]:
    """Studies with exactly one requested primary finding: positive margin, and rank 1 among
    every label except the finding's co-inserted ones (the study's other ground-truth labels)."""
    primaries = set(primary_findings())
    per: dict[str, dict[str, int]] = {}
    failures = []
    for o in outcomes:
        if len(o.requested) != 1 or o.requested[0] not in primaries:
            continue
        name = o.requested[0]
        excluded = set(o.labels) - {name}
        rank = rank_among(name, o.diagnosis, excluded=excluded)
        positive = o.diagnosis[name] > 0
        entry = per.setdefault(name, {"studies": 0, "positive": 0, "top": 0, "both": 0})
        entry["studies"] += 1
        entry["positive"] += int(positive)
        entry["top"] += int(rank == 1)
        entry["both"] += int(positive and rank == 1)
        if not (positive and rank == 1):
            best_other = max(
                ((k, v) for k, v in o.diagnosis.items() if k != name and k not in excluded),
                key=lambda kv: kv[1],
            )
            failures.append(
                {
                    "seed": o.seed,
                    "finding": name,
                    "margin": round(o.diagnosis[name], 4),
                    "rank": rank,
                    "top_other": best_other[0],
                    "top_other_margin": round(best_other[1], 4),
                }  # fmt: skip
            )
    total = sum(e["studies"] for e in per.values())

    def rate(key: str) -> float | None:
        return sum(e[key] for e in per.values()) / total if total else None

    return {
        "studies": total,
        "positive_margin_rate": rate("positive"),
        "top_rank_rate": rate("top"),
        "positive_and_top_rate": rate("both"),
        "per_finding": per,
        "failures": failures,
    }


def _pointing(outcomes: Sequence[Any], methods: Sequence[str]) -> dict[str, Any]:
    """Per method: hits over every localizing target, per finding, and over the ``detected``
    targets only (margin > 0: the finding is on the model's list). A map for a finding the model
    did not find has little to point at; the reader asks for evidence of what is on the list."""
    table: dict[str, Any] = {}
    for method in methods:
        scored = [  # (finding, hit, margin > 0)
            (f, hit, o.diagnosis.get(f, 0.0) > 0)
            for o in outcomes
            for f, hit in o.pointing.get(method, {}).items()
        ]
        hits = [(f, hit) for f, hit, _ in scored]
        found = [hit for _, hit, detected in scored if detected]
        per: dict[str, list[int]] = {}
        for finding, hit in hits:
            per.setdefault(finding, [0, 0])
            per[finding][0] += int(hit)
            per[finding][1] += 1
        seconds = sum(o.explain_seconds.get(method, 0.0) for o in outcomes)
        table[method] = {
            "hits": sum(int(h) for _, h in hits),
            "total": len(hits),
            "rate": (sum(int(h) for _, h in hits) / len(hits)) if hits else None,
            "per_finding": {f: {"hits": v[0], "total": v[1]} for f, v in sorted(per.items())},
            "detected": {
                "hits": sum(int(h) for h in found),
                "total": len(found),
                "rate": (sum(int(h) for h in found) / len(found)) if found else None,
            },
            "seconds_per_explanation": round(seconds / len(hits), 2) if hits else None,
        }
    return table


def summarize(outcomes: Sequence[Any], *, bundle: Any, methods: Sequence[str]) -> dict[str, Any]:
    """The evaluation metrics dict (JSON-ready)."""
    names = sorted(outcomes[0].diagnosis) if outcomes else []
    referrals = sorted(outcomes[0].referral) if outcomes else []
    referral_auc = {}
    for r in referrals:
        if r not in REFERRALS:
            continue
        truth = [referral_vector(o.labels)[REFERRALS.index(r)] for o in outcomes]
        referral_auc[r] = roc_auc(truth, [o.referral[r] for o in outcomes])
    priority_hits = [
        int(np.argmax([o.priority[level] for level in PRIORITY_LEVELS]) == priority_level(o.labels))
        for o in outcomes
        if o.priority
    ]
    return {
        "model": getattr(bundle, "name", ""),
        "kind": getattr(bundle, "kind", ""),
        "studies": len(outcomes),
        "diagnosis_auc": _auc_table(outcomes, names),
        "single_finding": _single_finding(outcomes),
        "referral_auc": referral_auc,
        "priority_accuracy": float(np.mean(priority_hits)) if priority_hits else None,
        "pointing_game": _pointing(outcomes, methods),
        "pointing_radius_mm": 20.0,
    }
