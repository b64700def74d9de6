"""Acquire and write every series of a demo study (the scanner half of ``generate_demo_study``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from prima_core.demo.dicom_export import SeriesInfo, StudyInfo, stable_uid, write_series
from prima_core.demo.phantom_acquisition import KINDS, Pose, SeriesGeometry, SeriesKind, plan_geometry
from prima_core.demo.phantom_anatomy import Anatomy, head_fraction
from prima_core.demo.phantom_contrast import Contrast
from prima_core.demo.phantom_render import RenderedSeries, render_series
from prima_core.progress import CancelToken, ProgressCallback, check, report

_SEQUENCE_TAGS: dict[str, dict[str, Any]] = {
    "SE": {"ScanningSequence": "SE", "SequenceVariant": "SK"},
    "IR": {"ScanningSequence": ["SE", "IR"], "SequenceVariant": ["SK", "SP"]},
    "GR": {"ScanningSequence": "GR", "SequenceVariant": ["SP", "SS"]},
    "EP": {"ScanningSequence": "EP", "SequenceVariant": ["SK", "SP"]},
}


def _series_info(kind: SeriesKind, rendered: RenderedSeries, number: int, study: StudyInfo) -> SeriesInfo:
    extra: dict[str, Any] = {**_SEQUENCE_TAGS[kind.sequence], "MRAcquisitionType": "2D"}
    extra.update(kind.timing)
    m = rendered.geometry.acquired_matrix
    extra["AcquisitionMatrix"] = [0, m, m, 0]
    if kind.contrast is Contrast.T1_POST:
        extra["ContrastBolusAgent"] = "GADOLINIUM 0.1 MMOL/KG"
    if kind.contrast is Contrast.DWI:
        extra["DiffusionBValue"] = 1000.0
    image_type = (
        ("DERIVED", "PRIMARY", "ADC", "ADC")
        if kind.contrast is Contrast.ADC
        else ("ORIGINAL", "PRIMARY", "M", "ND")
    )
    return SeriesInfo(
        series_uid=stable_uid(study.study_uid, "series", number),
        series_number=number,
        description=kind.description,
        protocol_name=kind.description,
        thickness_mm=rendered.geometry.thickness_mm,
        window=rendered.window,
        image_type=image_type,
        extra=extra,
    )


def write_all_series(
    anat: Anatomy,
    pose: Pose,
    protocol: list[str],
    study: StudyInfo,
    out_dir: Path,
    rng: np.random.Generator,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> list[dict[str, Any]]:
    """Render and write each series of ``protocol``; return a summary per series."""
    template = anat.template
    along_head = bool(rng.random() < 0.5)
    images: dict[Contrast, np.ndarray] = {}
    diffusion: SeriesGeometry | None = None
    written = []
    for number, name in enumerate(protocol, start=1):
        check(cancel)
        report(progress, "demo", 0.1 + 0.8 * (number - 1) / len(protocol), f"acquiring {name}")
        kind = KINDS[name]
        if kind.contrast in (Contrast.DWI, Contrast.ADC) and diffusion is not None:
            geometry = diffusion  # the ADC map is computed from the diffusion acquisition
        else:
            geometry = plan_geometry(kind, rng=rng, pose=pose, template=template, along_head=along_head)
        if kind.contrast in (Contrast.DWI, Contrast.ADC):
            diffusion = geometry
        if kind.contrast not in images:
            images[kind.contrast] = anat.signal(kind.contrast)
        rendered = render_series(
            kind=kind, geometry=geometry, image=images[kind.contrast], head=head_fraction(template),
            template=template, pose=pose, rng=rng,
        )  # fmt: skip
        info = _series_info(kind, rendered, number, study)
        folder = out_dir / f"S{number:02d}_{re.sub(r'[^A-Za-z0-9]+', '_', name).strip('_')}"
        files = write_series(rendered.pixels, geometry.affine, folder=folder, study=study, series=info)
        written.append(
            {
                "description": name,
                "folder": folder.name,
                "contrast": str(kind.contrast),
                "plane": kind.plane,
                "series_instance_uid": info.series_uid,
                "shape_ijk": [int(v) for v in rendered.pixels.shape[::-1]],
                "pixel_spacing_mm": round(geometry.pixel_spacing, 4),
                "slice_thickness_mm": geometry.thickness_mm,
                "spacing_between_slices_mm": geometry.spacing_between_mm,
                "files": len(files),
            }
        )
    return written
