"""From scanned headers to ``Study`` and ``Series`` objects with lazy pixel loaders."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from prima_core.io.dicom_header import MAX_IMAGE_BYTES, FileHeader
from prima_core.io.geometry import StackGeometry, stack_geometry
from prima_core.io.naming import model_series_name
from prima_core.io.pixels import LoadPlan, make_loader, output_dtype
from prima_core.io.sequence import guess_sequence
from prima_core.io.stacking import Slice, Stack, group_series, split_localizers, split_series
from prima_core.io.study import Series, SkippedFile, Study


def build_studies(
    headers: list[FileHeader], skipped: list[SkippedFile], *, keep_alive: Any = None
) -> list[Study]:
    """Group ``headers`` into studies of series; localizers and oversized series go to ``skipped``."""
    studies: dict[str, Study] = {}
    for (study_uid, series_uid), slices in group_series(headers).items():
        volume_slices, localizers = split_localizers(slices)
        _skip_files(localizers, "localizer/scout image: not part of a volume", skipped)
        if not volume_slices:
            continue
        study = studies.get(study_uid)
        if study is None:
            study = studies[study_uid] = _new_study(study_uid, volume_slices[0].header)
        for stack in split_series(study_uid, series_uid, volume_slices):
            series = _build_series(stack, skipped, keep_alive)
            if series is not None:
                study.series.append(series)
    for study in studies.values():
        study.series.sort(key=_series_order)
        folders = {str(f.parent) for series in study.series for f in series.files}
        if folders:
            study.source = Path(os.path.commonpath(sorted(folders)))
    ordered = sorted(studies.values(), key=lambda s: (s.study_date, s.study_instance_uid))
    return [s for s in ordered if s.series]


def _skip_files(slices: list[Slice], reason: str, skipped: list[SkippedFile]) -> None:
    seen = set()
    for s in slices:
        if s.header.display not in seen:
            seen.add(s.header.display)
            skipped.append(SkippedFile(s.header.display, reason))


def _new_study(uid: str, header: FileHeader) -> Study:
    text = header.text
    return Study(
        study_instance_uid=uid,
        description=text.get("StudyDescription", ""),
        patient_name=text.get("PatientName", ""),
        patient_id=text.get("PatientID", ""),
        patient_sex=text.get("PatientSex", ""),
        patient_age=text.get("PatientAge", ""),
        study_date=text.get("StudyDate", ""),
        accession_number=text.get("AccessionNumber", ""),
        source=header.path.parent,
    )


def _series_order(series: Series) -> tuple:
    number = series.series_number if series.series_number is not None else 1 << 30
    return (number, series.model_name, series.metadata.get("split", {}).get("index", 0))


def _monochrome1_window(header: FileHeader, slope: float, intercept: float, window: tuple[float, float]):
    """The file's window moved onto the inverted values (MONOCHROME1 stored v becomes max+min-v)."""
    extremes = -1 if header.signed else (1 << header.bits_stored) - 1
    return slope * extremes + 2 * intercept - window[0], window[1]


def _build_series(stack: Stack, skipped: list[SkippedFile], keep_alive: Any) -> Series | None:
    geometry = stack_geometry(stack.slices)
    first = geometry.slices[0]
    header, frame = first.header, first.frame
    dtype = output_dtype(geometry.slices)
    nbytes = len(geometry.slices) * header.rows * header.columns * dtype.itemsize
    if nbytes > MAX_IMAGE_BYTES:
        reason = f"series too large: {nbytes / 1024**3:.1f} GiB once loaded (limit 2 GiB)"
        _skip_files(geometry.slices, reason, skipped)
        return None
    text = header.text
    description, protocol = text.get("SeriesDescription", ""), text.get("ProtocolName", "")
    window = frame.window
    if window is not None and header.photometric == "MONOCHROME1":
        window = _monochrome1_window(header, frame.slope, frame.intercept, window)
    warnings = list(stack.warnings) + list(geometry.warnings)
    metadata = _metadata(stack, geometry, header, dtype, window)
    series = Series(
        series_instance_uid=stack.series_uid,
        model_name=model_series_name(description, protocol, stack.series_uid),
        description=description,
        protocol_name=protocol,
        modality=text.get("Modality", "") or "MR",
        series_number=header.series_number,
        sequence=guess_sequence(
            description=description,
            protocol=protocol,
            sequence_name=text.get("SequenceName", ""),
            scanning_sequence=text.get("ScanningSequence", ""),
            image_type=header.image_type,
            repetition_time=header.timing.get("RepetitionTime"),
            echo_time=frame.echo_time or header.timing.get("EchoTime"),
            inversion_time=header.timing.get("InversionTime"),
            b_value=frame.b_value,
            contrast_agent=text.get("ContrastBolusAgent", ""),
        ),
        plane=geometry.plane,
        shape=(header.columns, header.rows, len(geometry.slices)),
        spacing=geometry.spacing,
        window=window,
        warnings=warnings,
        files=list(dict.fromkeys(s.header.path for s in geometry.slices)),
        metadata=metadata,
    )
    plan = LoadPlan(series.model_name, geometry.slices, geometry.affine, dtype, metadata, keep_alive)
    series.loader = make_loader(plan, series.warnings)
    return series


def _metadata(
    stack: Stack, geometry: StackGeometry, header: FileHeader, dtype: np.dtype, window: Any
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "series_instance_uid": stack.series_uid,
        "study_instance_uid": stack.study_uid,
        "modality": header.text.get("Modality", ""),
        "frame_of_reference_uid": header.text.get("FrameOfReferenceUID", ""),
        "transfer_syntax": header.transfer_syntax,
        "photometric": header.photometric,
        "dtype": str(dtype),
        "window": list(window) if window else None,
        "slice_positions_mm": geometry.positions_mm,
        "source": header.display,
    }
    if stack.split:
        meta["split"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in stack.split.items()}
    return meta
