"""``prima predict STUDY_PATH --model BUNDLE --out RESULT.json``: run Prima on one study.

Writes the margins (not probabilities), priority scores, study embedding, the tokens kept per
series, the model's identity, timings and the research-use caveat as JSON. Progress goes to
stderr. ``--model`` takes a bundle folder, the name of an imported bundle, or ``demo``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from prima_core.errors import UserError
from prima_core.io import Study, open_studies
from prima_core.progress import ProgressEvent


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="run Prima on a study and write its margins as JSON",
        description="Run Prima on one study (DICOM folder, DICOMDIR, zip or NIfTI). Margins are not "
        "probabilities. Research use, not for clinical decisions.",
    )
    parser.add_argument("study_path", type=Path, help="folder, DICOMDIR, .zip, DICOM file or .nii/.nii.gz")
    parser.add_argument("--model", required=True, help="bundle folder, imported bundle name, or 'demo'")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument(
        "--precision",
        choices=["fp32", "auto"],
        default="fp32",
        help="fp32 reproduces the release; auto uses bf16/fp16 autocast where the hardware has it",
    )
    parser.add_argument("--study-description", help="override the study's StudyDescription")
    parser.add_argument("--study-uid", help="which study to run when the path holds several")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the token cache")
    parser.add_argument("--out", type=Path, required=True, help="where to write the result JSON")
    parser.set_defaults(func=run)


def _choose_study(studies: list[Study], uid: str | None) -> Study:
    if uid:
        for study in studies:
            if study.study_instance_uid == uid:
                return study
        raise UserError(f"no study with StudyInstanceUID {uid} under this path")
    if len(studies) > 1:
        uids = ", ".join(s.study_instance_uid for s in studies[:5])
        raise UserError(f"found {len(studies)} studies; choose one with --study-uid ({uids})")
    return studies[0]


class _StderrProgress:
    """One line per stage step on stderr, at most every 10 %."""

    def __init__(self) -> None:
        self._last: dict[str, float] = {}

    def __call__(self, event: ProgressEvent) -> None:
        last = self._last.get(event.stage, -1.0)
        if event.fraction < 1.0 and event.fraction - last < 0.1 and last >= 0:
            return
        self._last[event.stage] = event.fraction
        print(f"[{event.stage:>8} {event.fraction * 100:5.1f}%] {event.message}", file=sys.stderr, flush=True)


def _load(path: Path, device: str, precision: str):  # noqa: ANN202 - a ModelBundle
    from prima_core.model.bundle import load_bundle

    try:
        return load_bundle(path, device=device, precision=precision)
    except ValueError as exc:  # e.g. CUDA asked for but absent
        raise UserError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    from prima_core.model_registry import resolve_model
    from prima_core.pipeline.predict import predict_study

    model_path = resolve_model(args.model)  # fail fast, before reading the study
    progress = _StderrProgress()
    result = open_studies(args.study_path, progress=progress)
    study = _choose_study(result.studies, args.study_uid)
    bundle = _load(model_path, args.device, args.precision)
    prediction = predict_study(
        study,
        bundle,
        study_description=args.study_description,
        progress=progress,
        cache=not args.no_cache,
    )
    payload = prediction.to_dict()
    payload["study"] = {
        "study_instance_uid": study.study_instance_uid,
        "source": str(args.study_path),
        "series_found": len(study.series),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    used = len(prediction.series)
    print(
        f"wrote {args.out}: {used} series used, {len(prediction.skipped_series)} skipped, "
        f"{prediction.timings.get('total', 0.0):.1f} s. {prediction.caveat}",
        file=sys.stderr,
    )
    return 0
