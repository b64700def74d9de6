"""Generate a synthetic brain MRI study with known findings: DICOM series, masks, ground truth.

``generate_demo_study(seed=..., findings=..., out_dir=...)`` writes::

    out_dir/
      S01_SAG_T1/IM0001.dcm ...      one folder per series, one uncompressed file per slice
      masks/<finding>_<n>.nii.gz     one mask per lesion, on a 1.5 mm patient-space grid
      ground_truth.json              findings, lesions (centre, mask), seed, description

Everything is decided by ``seed``: the same call writes byte-identical files. The patient is
clearly synthetic (``DEMO^PHANTOM-<seed>``), and every file says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from prima_core.demo.dicom_export import StudyInfo, stable_uid
from prima_core.demo.findings import VENTRICULOMEGALY, finding_names, random_findings
from prima_core.demo.phantom_acquisition import KINDS, Pose, choose_protocol
from prima_core.demo.phantom_build import BuiltPhantom, build_phantom
from prima_core.demo.phantom_masks import MaskGrid, centroid_lps, lesion_mask, write_mask
from prima_core.demo.phantom_template import load_template
from prima_core.demo.study_series import write_all_series
from prima_core.errors import UserError
from prima_core.progress import CancelToken, ProgressCallback, check, report

GROUND_TRUTH_FILE = "ground_truth.json"
GENERATOR_VERSION = 4


@dataclass(frozen=True)
class DemoStudySpec:
    """What to generate: a seed, the findings (None: random, []: normal), the series (None: random)."""

    seed: int
    findings: tuple[str, ...] | None = None
    series: tuple[str, ...] | None = None

    def validated(self) -> DemoStudySpec:
        """Refuse unknown names with the list of valid ones, and negative seeds."""
        if self.seed < 0:
            raise UserError(f"the seed must be zero or positive, got {self.seed}")
        if self.findings is not None:
            unknown = sorted(set(self.findings) - set(finding_names()))
            if unknown:
                raise UserError(
                    f"unknown finding {', '.join(unknown)}; valid names: {', '.join(finding_names())}"
                )
        if self.series is not None:
            unknown = sorted(set(self.series) - set(KINDS))
            if unknown or not self.series:
                raise UserError(f"unknown series {', '.join(unknown) or '(none)'}; valid: {', '.join(KINDS)}")
        return self


@dataclass
class DemoGroundTruth:
    """What a generated study shows, and where (returned and written as ``ground_truth.json``)."""

    seed: int
    findings: list[str]
    lesions: list[dict[str, Any]]
    description: str
    series: list[dict[str, Any]]
    study_dir: Path
    study_instance_uid: str
    midline_shift_mm: float
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "findings": self.findings,
            "lesions": self.lesions,
            "seed": self.seed,
            "synthetic": True,
            "description": self.description,
            "series": self.series,
            "study_instance_uid": self.study_instance_uid,
            "midline_shift_mm": round(self.midline_shift_mm, 2),
            "generator": f"prima_core.demo v{GENERATOR_VERSION} (MNI ICBM 2009a phantom)",
            **self.extra,
        }


def _patient(seed: int, findings: list[str], rng: np.random.Generator) -> tuple[str, str, int, str]:
    """(sex, age string, age, study date) that fit the findings."""
    older = {
        "vascular_ischemic_small_vessel_disease",
        "structural_cerebral_atrophy",
        "trauma_subdural_hematoma",
    }
    age = (
        int(rng.integers(22, 50))
        if "inflammatory_multiple_sclerosis" in findings
        else int(rng.integers(35, 80))
    )
    if older & set(findings):
        age = int(rng.integers(62, 90))
    year, day = int(rng.integers(2021, 2025)), int(rng.integers(0, 365))
    date = np.datetime64(f"{year}-01-01") + np.timedelta64(day, "D")
    return str(rng.choice(["F", "M"])), f"{age:03d}Y", age, str(date).replace("-", "")


def _study_info(seed: int, findings: list[str], protocol: list[str], rng: np.random.Generator) -> StudyInfo:
    sex, age_text, age, date = _patient(seed, findings, rng)
    post = any(KINDS[name].contrast.name == "T1_POST" for name in protocol)
    return StudyInfo(
        study_uid=stable_uid("prima-demo", GENERATOR_VERSION, seed, "study"),
        frame_of_reference_uid=stable_uid("prima-demo", GENERATOR_VERSION, seed, "frame"),
        patient_name=f"DEMO^PHANTOM-{seed}",
        patient_id=f"DEMO-{seed}",
        description="MRI BRAIN WO AND W CONTRAST" if post else "MRI BRAIN WO CONTRAST",
        study_date=date,
        study_time=f"{int(rng.integers(7, 19)):02d}{int(rng.integers(0, 60)):02d}00",
        accession_number=f"DEMO{seed:08d}"[-16:],
        patient_sex=sex,
        patient_age=age_text,
        patient_birth_date=str(int(date[:4]) - age) + date[4:],
        extra={"MagneticFieldStrength": float(rng.choice([1.5, 3.0])), "PatientIdentityRemoved": "NO"},
    )


def _write_masks(built: BuiltPhantom, pose: Pose, out_dir: Path) -> list[dict[str, Any]]:
    template = built.anatomy.template
    grid = MaskGrid.around_head(template, pose)
    entries: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for lesion in built.lesions:
        mask = lesion_mask(lesion, template, pose, grid)
        if not mask.any():
            continue
        counts[lesion.finding] = counts.get(lesion.finding, 0) + 1
        relative = f"masks/{lesion.finding}_{counts[lesion.finding]}.nii.gz"
        write_mask(mask, grid, out_dir / relative)
        centre = centroid_lps(mask, grid)
        volume = float(mask.sum()) * float(np.prod(np.diag(grid.affine)[:3])) / 1000.0
        entries.append(
            {
                "finding": lesion.finding,
                "center_lps": [round(float(v), 2) for v in centre],
                "mask": relative,
                "volume_ml": round(volume, 3),
            }  # fmt: skip
        )
    return entries


def _describe(built: BuiltPhantom) -> str:
    parts = [plan.describe() for plan in built.plans]
    shift = built.anatomy.midline_shift_mm
    if "structural_midline_shift" in built.labels:
        parts.append(f"midline shift {shift:.0f} mm")
    elif "structural_mass_effect" in built.labels:
        parts.append("local mass effect")
    if VENTRICULOMEGALY in built.labels and all(plan.name != VENTRICULOMEGALY for plan in built.plans):
        parts.append("ventricular enlargement")
    body = "; ".join(parts) if parts else "normal brain"
    return f"Synthetic MRI phantom, not a patient: {body}."


def generate_demo_study(
    *,
    seed: int,
    findings: list[str] | None = None,
    out_dir: Path,
    series: list[str] | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> DemoGroundTruth:
    """Write a synthetic study with ``findings`` (None: random, []: normal) and return its ground truth."""
    spec = DemoStudySpec(
        seed=int(seed),
        findings=None if findings is None else tuple(findings),
        series=None if series is None else tuple(series),
    ).validated()
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise UserError(f"{out_dir} is not empty; choose a new folder for the demo study")
    report(progress, "demo", 0.0, "building the phantom")
    template = load_template()
    names = (
        list(spec.findings)
        if spec.findings is not None
        else random_findings(np.random.default_rng([seed, 0]))
    )
    built = build_phantom(names, template, spec.seed)
    check(cancel)
    scan_rng = np.random.default_rng([spec.seed, 2])
    protocol = list(spec.series) if spec.series is not None else choose_protocol(scan_rng)
    pose = Pose.random(scan_rng)
    study = _study_info(spec.seed, built.labels, protocol, np.random.default_rng([spec.seed, 3]))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = write_all_series(
        built.anatomy, pose, protocol, study, out_dir, scan_rng, progress=progress, cancel=cancel
    )
    report(progress, "demo", 0.95, "writing ground truth")
    truth = DemoGroundTruth(
        seed=spec.seed,
        findings=built.labels,
        lesions=_write_masks(built, pose, out_dir),
        description=_describe(built),
        series=written,
        study_dir=out_dir,
        study_instance_uid=study.study_uid,
        midline_shift_mm=built.anatomy.midline_shift_mm,
        extra={
            "patient_name": study.patient_name,
            "requested_findings": names,
            "template_to_patient_lps": np.round(pose.matrix, 6).tolist(),  # MNI152 2009 mm -> patient
        },
    )
    (out_dir / GROUND_TRUTH_FILE).write_text(json.dumps(truth.to_dict(), indent=2) + "\n", encoding="utf-8")
    report(progress, "demo", 1.0, "done")
    return truth
