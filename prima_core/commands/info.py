"""``prima info PATH [--json]``: what the importer finds in a folder, DICOMDIR, zip or NIfTI file.

Exit status 0 when at least one image volume was found; a path with nothing usable is a
``NoImagesError`` (one line, exit 1, printed by the dispatcher).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from prima_core.io import ImportResult, Series, Study, open_studies

MAX_SKIPPED_SHOWN = 20


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "info",
        help="list the studies and series found under a path",
        description="List studies, series (with the name Prima reads), and every skipped file "
        "with its reason.",
    )
    parser.add_argument("path", type=Path, help="folder, DICOMDIR, .zip, DICOM file, or .nii/.nii.gz")
    parser.add_argument("--json", action="store_true", help="print the import result as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    result = open_studies(args.path)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(format_result(args.path, result))
    return 0


def format_result(path: Path, result: ImportResult) -> str:
    """The human-readable summary ``prima info`` prints."""
    n_series = sum(len(s.series) for s in result.studies)
    lines = [
        f"{path}: {len(result.studies)} study(ies), {n_series} series, "
        f"{result.files_scanned} file(s) scanned, {len(result.skipped)} skipped"
    ]
    for study in result.studies:
        lines.extend(_study_lines(study))
    if result.skipped:
        lines.append("")
        lines.append(f"Skipped ({len(result.skipped)}):")
        if len(result.skipped) > MAX_SKIPPED_SHOWN:
            for reason, count in Counter(s.reason for s in result.skipped).most_common():
                lines.append(f"  {count:4d} x {reason}")
        for item in result.skipped[:MAX_SKIPPED_SHOWN]:
            lines.append(f"    {item.path}: {item.reason}")
        if len(result.skipped) > MAX_SKIPPED_SHOWN:
            lines.append(f"    ... and {len(result.skipped) - MAX_SKIPPED_SHOWN} more (see --json)")
    return "\n".join(lines)


def _study_lines(study: Study) -> list[str]:
    patient = ", ".join(
        v for v in (f"ID {study.patient_id or '-'}", study.patient_sex, study.patient_age) if v
    )
    lines = [
        "",
        f"Study {study.study_instance_uid}",
        f"  description: {study.description or '-'}",
        f"  patient: {study.patient_name or '-'} ({patient})",
        f"  date: {study.study_date or '-'}   accession: {study.accession_number or '-'}",
        f"  {'name':<36} {'description':<24} {'plane':<9} {'sequence':<17} {'matrix':>9} {'slices':>6}"
        "  spacing (mm)",
    ]
    for series in study.series:
        lines.extend(_series_lines(series))
    return lines


def _series_lines(series: Series) -> list[str]:
    ni, nj, nk = series.shape
    spacing = " x ".join(f"{s:.4g}" for s in series.spacing)
    description = series.description or "-"
    lines = [
        f"  {series.model_name:<36} {description:<24} {series.plane!s:<9} {series.sequence!s:<17} "
        f"{f'{ni}x{nj}':>9} {nk:>6}  {spacing}"
    ]
    split = series.metadata.get("split", {})
    if split.get("label"):
        lines.append(f"      part {split.get('part', '')} of the DICOM series: {split['label']}")
    lines.extend(f"      warning: {w}" for w in series.warnings)
    return lines
