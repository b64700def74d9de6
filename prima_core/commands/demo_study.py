"""``prima demo-study``: write one synthetic phantom study with known findings, and its ground truth.

prima demo-study --seed 7 --finding tumor_adult_meningioma --out /tmp/meningioma
prima demo-study --seed 3 --normal --out /tmp/normal
prima demo-study --seed 11 --out /tmp/random      # findings drawn at random (may be normal)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from prima_core.demo.findings import finding_names
from prima_core.demo.phantom_acquisition import KINDS
from prima_core.demo.study import GROUND_TRUTH_FILE, generate_demo_study
from prima_core.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo-study",
        help="write a synthetic brain MRI phantom study (DICOM) with known findings",
        description="Write a synthetic brain MRI study (DICOM series, lesion masks as NIfTI, "
        f"{GROUND_TRUTH_FILE}) built from the MNI152 template. Synthetic data, not a patient. "
        f"Findings: {', '.join(finding_names())}.",
    )
    parser.add_argument("--seed", type=int, required=True, help="decides everything; same seed, same files")
    parser.add_argument("--out", type=Path, required=True, help="new or empty folder to write the study into")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--finding", action="append", metavar="NAME", help="a finding to show (repeatable)")
    choice.add_argument("--normal", action="store_true", help="a study without findings")
    parser.add_argument(
        "--series",
        action="append",
        metavar="NAME",
        help=f"a series to acquire (repeatable): {', '.join(KINDS)}",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    findings = [] if args.normal else args.finding
    if args.seed < 0:
        raise UserError("--seed must be zero or positive")
    started = time.perf_counter()
    truth = generate_demo_study(seed=args.seed, findings=findings, out_dir=args.out, series=args.series)
    elapsed = time.perf_counter() - started
    print(f"{truth.study_dir}: synthetic phantom study, seed {truth.seed}, written in {elapsed:.1f} s")
    print(f"  {truth.description}")
    print(f"  findings: {', '.join(truth.findings) or 'none (normal)'}")
    for s in truth.series:
        matrix = f"{s['shape_ijk'][0]}x{s['shape_ijk'][1]}"
        print(
            f"  {s['folder']}: {s['description']}, {s['files']} slices of {matrix}, "
            f"{s['pixel_spacing_mm']} mm pixels, {s['slice_thickness_mm']} mm thick"
        )
    for lesion in truth.lesions:
        centre = ", ".join(f"{v:.1f}" for v in lesion["center_lps"])
        print(f"  {lesion['finding']} at LPS ({centre}) mm, {lesion['volume_ml']:.1f} mL: {lesion['mask']}")
    print(f"  ground truth: {truth.study_dir / GROUND_TRUTH_FILE}")
    return 0
