"""Per-frame facts from a DICOM header: where each 2D image lies and how to scale it.

A classic single-frame file gives one ``FrameInfo``; an enhanced multi-frame file
(functional groups) or a classic multi-frame file gives one per frame. Everything the
importer needs to split and stack frames is here, so the pixels are never touched.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from prima_core.io.raw_values import first_float, floats, strings


@dataclass
class FrameInfo:
    """One 2D image: a whole single-frame file or one frame of a multi-frame file."""

    index: int  # frame index inside its file
    position: np.ndarray | None  # ImagePositionPatient (3,), LPS mm
    orientation: np.ndarray | None  # ImageOrientationPatient (6,)
    pixel_spacing: tuple[float, float] | None  # (row spacing, column spacing) mm
    slice_thickness: float | None = None
    slice_spacing_tag: float | None = None  # SpacingBetweenSlices, only a fallback
    slope: float = 1.0
    intercept: float = 0.0
    window: tuple[float, float] | None = None
    echo: float | None = None  # EchoNumbers
    echo_time: float | None = None  # EchoTime / EffectiveEchoTime, ms
    temporal: float | None = None
    b_value: float | None = None
    b_direction: tuple[float, ...] | None = None
    stack_id: str | None = None
    instance_number: int | None = None
    acquisition_order: float | None = None  # only to order repeats at one position


def number(value: Any) -> float | None:
    """A DICOM numeric value (DS/IS/US/FD, possibly multi-valued) as one float, or None."""
    if value is None:
        return None
    try:
        if isinstance(value, Sequence) and not isinstance(value, str | bytes):
            if len(value) == 0:
                return None
            value = value[0]
        if value == "":
            return None
        result = float(value)
    except (TypeError, ValueError, IndexError):
        return None
    return result if np.isfinite(result) else None


def numbers(value: Any, count: int) -> np.ndarray | None:
    """Exactly ``count`` finite floats from a multi-valued element, or None."""
    if value is None:
        return None
    try:
        arr = np.array([float(v) for v in value], dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if arr.shape != (count,) or not np.all(np.isfinite(arr)):
        return None
    return arr


def _item(ds: Dataset, keyword: str) -> Dataset | None:
    seq = ds.get(keyword)
    if seq is None:
        return None
    try:
        return seq[0] if len(seq) else None
    except (TypeError, IndexError):
        return None


def _window(ds: Dataset) -> tuple[float, float] | None:
    center, width = number(ds.get("WindowCenter")), number(ds.get("WindowWidth"))
    if center is None or width is None or width <= 0:
        return None
    return center, width


def _spacing(ds: Dataset | None) -> tuple[float, float] | None:
    if ds is None:
        return None
    ps = numbers(ds.get("PixelSpacing"), 2)
    if ps is None or np.any(ps <= 0):
        return None
    return float(ps[0]), float(ps[1])


def _cross(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    """Cross product of two 3-vectors in plain Python (numpy's is slow for one tiny pair)."""
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def slice_normal(orientation: np.ndarray) -> np.ndarray:
    """The slice normal (row direction x column direction) of a unit ImageOrientationPatient."""
    o = orientation.tolist()
    return np.array(_cross(o[:3], o[3:]))


def _orientation(iop: Any) -> np.ndarray | None:
    """A validated ImageOrientationPatient with unit row and column directions, or None."""
    arr = numbers(iop, 6)
    if arr is None:
        return None
    v = arr.tolist()
    row_norm, col_norm = math.hypot(*v[:3]), math.hypot(*v[3:])
    if row_norm < 0.5 or col_norm < 0.5 or math.hypot(*_cross(v[:3], v[3:])) < 0.5:
        return None
    return np.array([x / row_norm for x in v[:3]] + [x / col_norm for x in v[3:]])


def _time_number(value: Any) -> float | None:
    """AcquisitionTime 'HHMMSS.frac' as seconds, for ordering only."""
    text = str(value or "").strip()
    if len(text) < 2:
        return None
    try:
        hours, minutes, seconds = int(text[0:2]), int(text[2:4] or 0), float(text[4:] or 0)
    except ValueError:
        return None
    return hours * 3600 + minutes * 60 + seconds


def _n(ds: Dataset, tag: int) -> float | None:
    value = first_float(ds, tag)
    return value if value is not None and np.isfinite(value) else None


def _classic_window(ds: Dataset) -> tuple[float, float] | None:
    center, width = _n(ds, 0x00281050), _n(ds, 0x00281051)
    if center is None or width is None or width <= 0:
        return None
    return center, width


def _classic_spacing(ds: Dataset) -> tuple[float, float] | None:
    ps = numbers(floats(ds, 0x00280030), 2)
    if ps is None or np.any(ps <= 0):
        return None
    return float(ps[0]), float(ps[1])


def classic_frames(
    ds: Dataset, n_frames: int, diffusion: tuple[float | None, tuple | None]
) -> list[FrameInfo]:
    """Frames of a classic (not enhanced) file: one, or several placed by GridFrameOffsetVector.

    Values are read by tag through ``raw_values`` (the header scan's hot path).
    """
    position = numbers(floats(ds, 0x00200032), 3)
    orientation = _orientation(floats(ds, 0x00200037))
    instance = _n(ds, 0x00200013)
    times = strings(ds, 0x00080032)
    common: dict[str, Any] = {
        "orientation": orientation,
        "pixel_spacing": _classic_spacing(ds),
        "slice_thickness": _n(ds, 0x00180050),
        "slice_spacing_tag": _n(ds, 0x00180088),
        "slope": _n(ds, 0x00281053) or 1.0,
        "intercept": _n(ds, 0x00281052) or 0.0,
        "window": _classic_window(ds),
        "echo": _n(ds, 0x00180086),
        "echo_time": _n(ds, 0x00180081),
        "temporal": _n(ds, 0x00200100),
        "b_value": diffusion[0],
        "b_direction": diffusion[1],
        "instance_number": int(instance) if instance is not None else None,
        "acquisition_order": _time_number(times[0]) if times else None,
    }
    if n_frames == 1:
        return [FrameInfo(index=0, position=position, **common)]
    offsets_arr = numbers(floats(ds, 0x3004000C), n_frames)
    frames = []
    for f in range(n_frames):
        frame_pos = None
        if position is not None and orientation is not None:
            normal = slice_normal(orientation)
            if offsets_arr is not None:
                frame_pos = position + normal * offsets_arr[f]
            else:
                step = common["slice_spacing_tag"] or common["slice_thickness"] or 1.0
                frame_pos = position + normal * step * f
        frames.append(FrameInfo(index=f, position=frame_pos, **{**common, "acquisition_order": f}))
    return frames


def _group(per_frame: Dataset | None, shared: Dataset | None, keyword: str) -> Dataset | None:
    item = _item(per_frame, keyword) if per_frame is not None else None
    if item is None and shared is not None:
        item = _item(shared, keyword)
    return item


def enhanced_frames(ds: Dataset, n_frames: int) -> list[FrameInfo]:
    """Frames of an enhanced multi-frame file, from its per-frame and shared functional groups."""
    shared = _item(ds, "SharedFunctionalGroupsSequence")
    per_frame_seq = ds.get("PerFrameFunctionalGroupsSequence") or []
    frames = []
    for f in range(n_frames):
        pf = per_frame_seq[f] if f < len(per_frame_seq) else None
        plane_pos = _group(pf, shared, "PlanePositionSequence")
        plane_ori = _group(pf, shared, "PlaneOrientationSequence")
        measures = _group(pf, shared, "PixelMeasuresSequence")
        transform = _group(pf, shared, "PixelValueTransformationSequence")
        voi = _group(pf, shared, "FrameVOILUTSequence")
        content = _group(pf, shared, "FrameContentSequence")
        echo = _group(pf, shared, "MREchoSequence")
        diffusion = _group(pf, shared, "MRDiffusionSequence")
        b_dir = None
        if diffusion is not None:
            direction = _item(diffusion, "DiffusionGradientDirectionSequence")
            if direction is not None:
                vec = numbers(direction.get("DiffusionGradientOrientation"), 3)
                b_dir = tuple(np.round(vec, 3)) if vec is not None else None
        frames.append(
            FrameInfo(
                index=f,
                position=numbers(plane_pos.get("ImagePositionPatient"), 3) if plane_pos else None,
                orientation=_orientation(plane_ori.get("ImageOrientationPatient")) if plane_ori else None,
                pixel_spacing=_spacing(measures),
                slice_thickness=number(measures.get("SliceThickness")) if measures else None,
                slice_spacing_tag=number(measures.get("SpacingBetweenSlices")) if measures else None,
                slope=(number(transform.get("RescaleSlope")) or 1.0) if transform else 1.0,
                intercept=(number(transform.get("RescaleIntercept")) or 0.0) if transform else 0.0,
                window=_window(voi) if voi is not None else None,
                echo_time=number(echo.get("EffectiveEchoTime")) if echo else None,
                temporal=number(content.get("TemporalPositionIndex")) if content else None,
                b_value=number(diffusion.get("DiffusionBValue")) if diffusion else None,
                b_direction=b_dir,
                stack_id=str(content.get("StackID")) if content and content.get("StackID") else None,
                instance_number=f + 1,
                acquisition_order=f,
            )
        )
    # The top level may carry the fallbacks some writers put there instead.
    fallback = classic_frames(ds, 1, (None, None))[0]
    for frame in frames:
        frame.orientation = frame.orientation if frame.orientation is not None else fallback.orientation
        frame.pixel_spacing = frame.pixel_spacing or fallback.pixel_spacing
        if frame.window is None:
            frame.window = fallback.window
        if transform_missing(frame) and (fallback.slope != 1.0 or fallback.intercept != 0.0):
            frame.slope, frame.intercept = fallback.slope, fallback.intercept
    return frames


def transform_missing(frame: FrameInfo) -> bool:
    return frame.slope == 1.0 and frame.intercept == 0.0
