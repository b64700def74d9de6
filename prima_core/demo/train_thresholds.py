"""Operating points of the demo model, chosen on the validation studies.

Each finding and each referral gets a cut-off on its head output; the bundle stores it as the
label's threshold, so a margin ``output - threshold > 0`` means positive at that operating point,
as for the released model. The report lists AUC, cut-off, sensitivity and specificity per label.

The cut-off is Youden's point (maximal sensitivity + specificity - 1) when the validation set
holds at least ``MIN_POSITIVES_FOR_YOUDEN`` studies with the label, and otherwise the output at
which 90 % of the validation studies without the label score at or below it (specificity 0.90).
Why: a validation set of 64 studies holds only 3-8 positives of most findings, and Youden's point
then jumps with each of them (some fell far below most negatives), so margins of different
findings were not comparable; the negatives, which every label has in plenty, give a stable
cut-off. Labels with many positives (oedema, mass effect, every referral) keep Youden's point,
which there balances sensitivity better (at specificity 0.90 the neuro-oncology referral found only
half of the validation tumours). Measured on the 80 unseen studies of ``prima demo-eval`` with the
same weights: single-finding studies whose finding is positive and ranked first 48 % with
Youden's point everywhere, 58 % with this rule; overall sensitivity 0.74 -> 0.76, specificity
0.82 -> 0.89.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from prima_core.demo.dataset_tokens import TokenizedStudy
from prima_core.demo.eval_metrics import roc_auc, specificity_threshold, summarize_auc, youden_threshold
from prima_core.demo.train_losses import Targets
from prima_core.demo.train_model import DIAGNOSIS_HEAD, REFERRAL_HEAD
from prima_core.demo.train_targets import REFERRALS, diagnosis_names
from prima_core.demo.train_vit import predict_logits
from prima_core.model.prima import PrimaModel
from prima_core.model.spec import PRIORITY_HEAD

#: Validation specificity of the operating point of a label with few validation positives.
OPERATING_SPECIFICITY = 0.90
#: Validation positives from which Youden's point is used.
MIN_POSITIVES_FOR_YOUDEN = 10


def operating_point(truth: np.ndarray, scores: np.ndarray) -> float:
    """One label's cut-off (see the module docstring)."""
    if int(np.asarray(truth, dtype=bool).sum()) >= MIN_POSITIVES_FOR_YOUDEN:
        return youden_threshold(truth, scores)
    return specificity_threshold(truth, scores, specificity=OPERATING_SPECIFICITY)


@dataclass
class Thresholds:
    diagnosis: list[float]
    referral: list[float]
    report: dict[str, Any] = field(default_factory=dict)


def _label_report(truth: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, Any]:
    pos, neg = truth.astype(bool), ~truth.astype(bool)
    predicted = scores > threshold
    return {
        "auc": roc_auc(truth, scores),
        "threshold": threshold,
        "sensitivity": float(predicted[pos].mean()) if pos.any() else None,
        "specificity": float((~predicted[neg]).mean()) if neg.any() else None,
        "positives": int(pos.sum()),
        "negatives": int(neg.sum()),
    }


def _choose(truth: np.ndarray, scores: np.ndarray, names: Sequence[str]) -> tuple[list[float], dict]:
    cuts, report = [], {}
    for i, name in enumerate(names):
        cut = operating_point(truth[:, i], scores[:, i])
        cuts.append(cut)
        report[name] = _label_report(truth[:, i], scores[:, i], cut)
    return cuts, report


def choose_thresholds(model: PrimaModel, val: Sequence[TokenizedStudy]) -> Thresholds:
    """Per-label cut-offs from the validation studies (0 for every label when there are none)."""
    if not val:
        return Thresholds([0.0] * len(diagnosis_names()), [0.0] * len(REFERRALS), {})
    logits = predict_logits(model, val)
    targets = Targets.of(val)
    d_cuts, d_report = _choose(targets.findings.numpy(), logits[DIAGNOSIS_HEAD].numpy(), diagnosis_names())
    r_cuts, r_report = _choose(targets.referrals.numpy(), logits[REFERRAL_HEAD].numpy(), REFERRALS)
    priority = float((logits[PRIORITY_HEAD].argmax(1) == targets.priority).float().mean())
    auc = {name: entry["auc"] for name, entry in d_report.items()}
    report = {
        "studies": len(val),
        "diagnosis": d_report,
        "diagnosis_auc": summarize_auc(auc),
        "referral": r_report,
        "priority_accuracy": priority,
    }
    return Thresholds(d_cuts, r_cuts, report)
