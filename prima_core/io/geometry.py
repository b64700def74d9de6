"""Place a stack of slices in patient space: slice order, spacing, affine, plane.

Slices are ordered by their position along the slice normal (the cross product of the
ImageOrientationPatient row and column directions), never by file name or InstanceNumber.
The k axis of the affine is the step from the first to the last slice position, so a
gantry-tilted (sheared) stack is placed correctly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from prima_core.io.stacking import Slice
from prima_core.io.study import Plane

OBLIQUE_THRESHOLD = 0.9  # |normal component| below this on every axis (> ~25.8 deg off) -> oblique
UNEVEN_TOLERANCE = 0.05  # relative deviation of a slice step from the median that earns a warning
GAP_FACTOR = 1.5  # a step this many times the median means missing slices


@dataclass
class StackGeometry:
    """Sorted slices and where they lie."""

    slices: list[Slice]
    affine: np.ndarray
    spacing: tuple[float, float, float]  # along i (columns), j (rows), k (slices), mm
    plane: Plane
    positions_mm: list[float]  # slice positions along the normal, sorted
    warnings: list[str] = field(default_factory=list)


def classify_plane(normal: np.ndarray) -> Plane:
    """Axial/coronal/sagittal from the slice normal; oblique when no axis dominates.

    The normal's largest LPS component picks the plane (x: sagittal, y: coronal,
    z: axial) when it is at least ``OBLIQUE_THRESHOLD`` (cos 25.8 deg), so the usual
    AC-PC-angled brain axial (10-20 deg) is still axial.
    """
    n = np.abs(np.asarray(normal, dtype=np.float64))
    n = n / (np.linalg.norm(n) or 1.0)
    axis = int(np.argmax(n))
    if n[axis] < OBLIQUE_THRESHOLD:
        return Plane.OBLIQUE
    return (Plane.SAGITTAL, Plane.CORONAL, Plane.AXIAL)[axis]


def _pixel_spacing(slices: list[Slice], warnings: list[str]) -> tuple[float, float]:
    spacings = {s.frame.pixel_spacing for s in slices}
    first = slices[0].frame.pixel_spacing
    if first is None:
        warnings.append("no PixelSpacing: 1 mm pixels assumed")
        return 1.0, 1.0
    if len(spacings) > 1:
        warnings.append("PixelSpacing differs between slices: the first slice's is used")
    return first


def _fallback_slice_step(slices: list[Slice]) -> float:
    f = slices[0].frame
    return f.slice_spacing_tag or f.slice_thickness or 1.0


def stack_geometry(slices: list[Slice]) -> StackGeometry:
    """Sort ``slices`` along their normal and compute the voxel-to-LPS affine."""
    warnings: list[str] = []
    row_spacing, col_spacing = _pixel_spacing(slices, warnings)
    if any(s.frame.position is None or s.frame.orientation is None for s in slices):
        return _without_geometry(slices, (col_spacing, row_spacing), warnings)
    orientation = slices[0].frame.orientation
    assert orientation is not None
    row_dir, col_dir = orientation[:3], orientation[3:]
    normal = np.cross(row_dir, col_dir)
    positions = np.array([s.frame.position for s in slices], dtype=np.float64)
    proj = positions @ normal
    order = np.argsort(proj, kind="stable")
    positions, proj = positions[order], proj[order]
    sorted_slices = [slices[i] for i in order]
    k_step = _k_step(positions, proj, normal, _fallback_slice_step(slices), warnings)
    affine = np.eye(4)
    affine[:3, 0] = row_dir * col_spacing
    affine[:3, 1] = col_dir * row_spacing
    affine[:3, 2] = k_step
    affine[:3, 3] = positions[0]
    return StackGeometry(
        slices=sorted_slices,
        affine=affine,
        spacing=(col_spacing, row_spacing, float(np.linalg.norm(k_step))),
        plane=classify_plane(normal),
        positions_mm=[float(p) for p in proj],
        warnings=warnings,
    )


def _k_step(
    positions: np.ndarray, proj: np.ndarray, normal: np.ndarray, fallback: float, warnings: list[str]
) -> np.ndarray:
    """The LPS vector from one slice to the next."""
    n = len(proj)
    if n == 1:
        return normal * fallback
    steps = np.diff(proj)
    median = float(np.median(steps))
    if median <= 1e-6:
        warnings.append(f"slices share one position: slice spacing {fallback:g} mm assumed")
        return normal * fallback
    span = positions[-1] - positions[0]
    gaps = steps > GAP_FACTOR * median
    if gaps.any():
        missing = int(np.sum(np.round(steps[gaps] / median) - 1))
        warnings.append(
            f"missing slice(s): about {missing} slice(s) absent where the spacing is "
            f"{median:.3g} mm; slices are stacked as acquired, so those past a gap sit up to "
            f"{float(np.sum(steps[gaps] - median)):.3g} mm from their true position"
        )
    elif np.max(np.abs(steps - median)) > UNEVEN_TOLERANCE * median:
        warnings.append(
            f"uneven slice spacing: {steps.min():.3g} to {steps.max():.3g} mm (median {median:.3g} mm used)"
        )
    else:
        return span / (n - 1)
    step_lengths = np.linalg.norm(np.diff(positions, axis=0), axis=1)
    return span / np.linalg.norm(span) * float(np.median(step_lengths))


def _without_geometry(
    slices: list[Slice], pixel_spacing: tuple[float, float], warnings: list[str]
) -> StackGeometry:
    """Slices that lack ImagePositionPatient or ImageOrientationPatient: a default axial grid."""

    def order(s: Slice) -> tuple:
        return (s.frame.instance_number or 0, str(s.header.path), s.frame.index)

    sorted_slices = sorted(slices, key=order)
    step = _fallback_slice_step(slices)
    warnings.append(
        "no patient position/orientation in the files: slices ordered by InstanceNumber "
        "and placed on a default axial grid"
    )
    affine = np.diag([pixel_spacing[0], pixel_spacing[1], step, 1.0])
    return StackGeometry(
        slices=sorted_slices,
        affine=affine,
        spacing=(pixel_spacing[0], pixel_spacing[1], step),
        plane=Plane.AXIAL,
        positions_mm=[i * step for i in range(len(slices))],
        warnings=warnings,
    )
