"""``prima explain STUDY --model BUNDLE --target NAME --method METHOD --out DIR``.

Runs Prima on the study (token cache reused), explains one target with one method, and
writes into ``DIR``: one heat map per series (``<series name>.nii.gz``, in the series' own grid,
NIfTI's RAS affine), ``regions.json`` (top regions, highest score first, centres in patient LPS
mm), ``series_contributions.json`` and ``explanation.json`` (method, target, parameters, model,
caveats, per-token scores). Research use, not for clinical decisions.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import nibabel as nib
import numpy as np

from prima_core.explain import (
    DEFAULT_SAMPLES,
    DEFAULT_STEPS,
    Explanation,
    ExplanationCache,
    SaliencyMethod,
    default_fast_method,
    explain,
    resolve_target,
)
from prima_core.io import open_studies
from prima_core.io.volume import Volume

LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])


def register(subparsers: argparse._SubParsersAction) -> None:
    methods = ", ".join(f"{m} ({m.description})" for m in SaliencyMethod)
    parser = subparsers.add_parser(
        "explain",
        help="explain one of Prima's outputs for a study: heat maps, regions, series contributions",
        description="Explain one diagnosis, referral or priority output of Prima for one study. "
        f"Methods: {methods} Research use, not for clinical decisions.",
    )
    parser.add_argument("study_path", type=Path, help="folder, DICOMDIR, .zip, DICOM file or .nii/.nii.gz")
    parser.add_argument("--model", required=True, help="bundle folder, imported bundle name, or 'demo'")
    parser.add_argument("--target", required=True, help="diagnosis, referral or priority level name")
    parser.add_argument(
        "--method", choices=[str(m) for m in SaliencyMethod], default=str(default_fast_method())
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument(
        "--precision",
        choices=["fp32", "auto"],
        default="fp32",
        help="auto: bf16 (CPU with native bf16) or fp16 (CUDA) autocast for the transformers",
    )
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="Integrated Gradients steps")
    parser.add_argument(
        "--samples", type=int, default=DEFAULT_SAMPLES, help="LIME samples (the Prima paper used 1000)"
    )
    parser.add_argument("--study-description", help="override the study's StudyDescription")
    parser.add_argument("--study-uid", help="which study to run when the path holds several")
    parser.add_argument("--no-cache", action="store_true", help="no token or explanation cache")
    parser.set_defaults(func=run)


def write_nifti(volume: Volume, path: Path) -> None:
    """A Volume (``array[k, j, i]``, LPS affine) as NIfTI (``data[i, j, k]``, RAS affine)."""
    image = nib.Nifti1Image(
        np.asarray(volume.array, dtype=np.float32).transpose(2, 1, 0), LPS_TO_RAS @ volume.affine
    )
    image.header.set_xyzt_units("mm")
    nib.save(image, str(path))


def write_outputs(explanation: Explanation, out: Path, *, study: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, volume in zip(explanation.series_names, explanation.heatmaps, strict=True):
        write_nifti(volume, out / f"{name}.nii.gz")
    regions = sorted((r.to_dict() for r in explanation.regions), key=lambda r: -r["score"])
    (out / "regions.json").write_text(json.dumps(regions, indent=1), encoding="utf-8")
    contributions = {
        "target": explanation.target.to_dict(),
        "value": explanation.full_value,
        "contributions": explanation.series_contributions,
        "note": "value minus the value without that series; margins are not probabilities",
        "caveat": explanation.caveat,
    }
    (out / "series_contributions.json").write_text(json.dumps(contributions, indent=1), encoding="utf-8")
    payload = {
        **explanation.to_dict(),
        "study": study,
        "heatmaps": [f"{n}.nii.gz" for n in explanation.series_names],
    }
    (out / "explanation.json").write_text(json.dumps(payload, indent=1), encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    from prima_core.commands.predict import _choose_study, _load, _StderrProgress
    from prima_core.model_registry import resolve_model
    from prima_core.pipeline.predict import predict_study

    model_path = resolve_model(args.model)
    bundle = _load(model_path, args.device, args.precision)
    target = resolve_target(bundle, args.target)  # fail fast, before reading the study
    progress = _StderrProgress()
    study = _choose_study(open_studies(args.study_path, progress=progress).studies, args.study_uid)
    prediction = predict_study(
        study, bundle, study_description=args.study_description, progress=progress, cache=not args.no_cache
    )
    explanation = explain(
        prediction,
        bundle,
        target=target,
        method=args.method,
        progress=progress,
        steps=args.steps,
        samples=args.samples,
        cache=None if args.no_cache else ExplanationCache(disk=True),
    )
    study_info = {"study_instance_uid": study.study_instance_uid, "source": str(args.study_path)}
    write_outputs(explanation, args.out, study=study_info)
    top = explanation.regions[0].to_dict() if explanation.regions else None
    where = f"; top region in {top['series']} at LPS {top['center_lps']}" if top else ""
    print(
        f"wrote {args.out}: {args.method} for {target} ({len(explanation.heatmaps)} heat maps){where}. "
        f"{explanation.caveat}",
        file=sys.stderr,
    )
    return 0
