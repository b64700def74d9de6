"""Evaluate a demo model on phantom studies it never saw, through the user's own path.

Each evaluation study (seeds ``EVAL_SEED_BASE + i`` by default, the training study design of
:func:`prima_core.demo.dataset.study_findings`) is written as DICOM, imported with
``open_studies`` and run with ``predict_study``, exactly as ``prima predict`` would. Then:

* per-finding ROC AUC of the margins, their mean and minimum;
* for studies with one inserted finding: the finding's margin is positive, and it ranks first
  among all labels except those the generator adds with it (``ground_truth.json`` lists them);
* the pointing game per explanation method, for findings with a lesion mask (tumours, strokes,
  haemorrhages, subdurals, cysts): the explanation's top region lies within 20 mm of the mask.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prima_core.demo.dataset import study_findings
from prima_core.demo.eval_report import summarize
from prima_core.demo.eval_studies import ensure_studies
from prima_core.demo.study import GROUND_TRUTH_FILE
from prima_core.demo.train_provenance import phantom_cache
from prima_core.demo.train_targets import FOCAL_LESIONS
from prima_core.progress import CancelToken, ProgressCallback, check, report

LOCALIZING = FOCAL_LESIONS
DEFAULT_METHODS = ("integrated_gradients", "occlusion", "lime")
POINTING_RADIUS_MM = 20.0


@dataclass
class StudyOutcome:
    """One evaluation study: its truth, the model's margins, and the pointing-game hits."""

    seed: int
    requested: list[str]
    labels: list[str]
    diagnosis: dict[str, float]
    referral: dict[str, float]
    priority: dict[str, float]
    pointing: dict[str, dict[str, bool]] = field(default_factory=dict)  # method -> finding -> hit
    explain_seconds: dict[str, float] = field(default_factory=dict)


def _explain_study(prediction, bundle, truth: dict[str, Any], study_dir: Path, methods: Sequence[str]):
    from prima_core.explain import explain, pointing_game

    pointing: dict[str, dict[str, bool]] = {}
    seconds: dict[str, float] = {}
    for finding in [f for f in LOCALIZING if f in truth["requested_findings"]]:
        lesions = [lesion for lesion in truth["lesions"] if lesion["finding"] == finding]
        if not lesions:
            continue
        for method in methods:
            start = time.perf_counter()
            explanation = explain(prediction, bundle, target=finding, method=method)
            hit = pointing_game(explanation, lesions, radius_mm=POINTING_RADIUS_MM, base_dir=study_dir)
            pointing.setdefault(method, {})[finding] = bool(hit)
            seconds[method] = seconds.get(method, 0.0) + time.perf_counter() - start
    return pointing, seconds


def evaluate_study(study_dir: Path, bundle, *, methods: Sequence[str] = ()) -> StudyOutcome:
    """Import, predict and (optionally) explain one written phantom study."""
    from prima_core.io import open_studies
    from prima_core.pipeline.predict import predict_study

    truth = json.loads((study_dir / GROUND_TRUTH_FILE).read_text(encoding="utf-8"))
    study = open_studies(study_dir).studies[0]
    prediction = predict_study(study, bundle, cache=False)
    outcome = StudyOutcome(
        seed=int(truth["seed"]),
        requested=list(truth.get("requested_findings", [])),
        labels=list(truth["findings"]),
        diagnosis=dict(prediction.diagnosis),
        referral=dict(prediction.referral),
        priority=dict(prediction.priority),
    )
    if methods:
        outcome.pointing, outcome.explain_seconds = _explain_study(
            prediction, bundle, truth, study_dir, methods
        )
    return outcome


def evaluate_demo_model(
    bundle,
    *,
    n: int,
    seed: int,
    work_dir: Path,
    methods: Sequence[str] = DEFAULT_METHODS,
    workers: int = 1,
    keep_studies: bool = True,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Generate (or reuse) ``n`` studies from ``seed`` on and return the metrics dict."""
    started = time.perf_counter()
    seeds = [seed + i for i in range(n)]
    plan = {s: study_findings(s) for s in seeds}
    folder = phantom_cache(Path(work_dir))  # studies of an older generator are not reused
    dirs = ensure_studies(plan, folder, workers=workers, progress=progress, cancel=cancel)
    generated = time.perf_counter() - started
    outcomes = []
    for i, study_dir in enumerate(dirs):
        check(cancel)
        outcomes.append(evaluate_study(study_dir, bundle, methods=methods))
        report(progress, "evaluate", (i + 1) / len(dirs), f"{i + 1}/{len(dirs)} studies")
        if not keep_studies:
            shutil.rmtree(study_dir, ignore_errors=True)
    metrics = summarize(outcomes, bundle=bundle, methods=methods)
    metrics["study_seeds"] = [seeds[0], seeds[-1]] if seeds else []
    metrics["seconds"] = {
        "generate": round(generated, 1),
        "evaluate": round(time.perf_counter() - started - generated, 1),
    }
    return metrics
