"""Viewing geometry in patient space: view planes, reslice frames, orientation labels.

Everything the viewer draws is placed through these frames, so the maths is here, without Qt or
VTK, where it can be tested without a display. A *view frame* is the orthonormal pair of screen
directions (right, up) expressed in patient LPS millimetres plus an anchor point; view coordinates
``(u, v, w)`` are millimetres along screen-right, screen-up and the viewing direction (into the
screen) measured from the anchor.

Radiological convention: axial and coronal views show the patient's right on the screen's left
(screen-right points to the patient's Left), sagittal views show anterior on the left (screen-right
points Posterior); axial is seen from the feet, coronal from the front, sagittal from the left.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

import numpy as np

from prima_core.io.volume import Volume

_L, _P, _S = np.eye(3)


class ViewPlane(StrEnum):
    AXIAL = "axial"
    CORONAL = "coronal"
    SAGITTAL = "sagittal"


# (screen-right, screen-up) in LPS for each plane, radiological convention.
_RADIOLOGICAL_AXES = {
    ViewPlane.AXIAL: (_L, -_P),
    ViewPlane.CORONAL: (_L, _S),
    ViewPlane.SAGITTAL: (_P, _S),
}


@dataclass(frozen=True)
class ViewFrame:
    """Screen axes of a 2D view in patient space.

    ``right`` and ``up`` are unit LPS vectors; ``anchor`` is the LPS point at view origin.
    ``view_direction`` points into the screen, away from the reader.
    """

    right: np.ndarray
    up: np.ndarray
    anchor: np.ndarray

    # Cached: the viewer converts points on every mouse move and slice step.
    @cached_property
    def view_direction(self) -> np.ndarray:
        return np.cross(self.up, self.right)

    @cached_property
    def out_of_screen(self) -> np.ndarray:
        return np.cross(self.right, self.up)

    @cached_property
    def _basis(self) -> np.ndarray:
        return np.column_stack([self.right, self.up, self.view_direction])

    def basis(self) -> np.ndarray:
        """3x3 matrix whose columns are right, up and the viewing direction."""
        return self._basis.copy()

    def to_view(self, lps: np.ndarray) -> np.ndarray:
        """LPS points ``(..., 3)`` to view coordinates ``(u, v, w)`` in mm."""
        return (np.asarray(lps, dtype=np.float64) - self.anchor) @ self._basis

    def to_lps(self, uvw: np.ndarray) -> np.ndarray:
        """View coordinates ``(..., 3)`` to LPS points."""
        return np.asarray(uvw, dtype=np.float64) @ self._basis.T + self.anchor

    def plane_matrix(self, depth: float) -> np.ndarray:
        """4x4 map from in-plane view mm ``(u, v, 0, 1)`` to LPS on the plane at ``depth``.

        The third column is the out-of-screen normal, so the matrix is a rigid, right-handed
        motion; it places the 2D slice image in the 3D scene as well.
        """
        matrix = np.eye(4)
        matrix[:3, 0] = self.right
        matrix[:3, 1] = self.up
        matrix[:3, 2] = self.out_of_screen
        matrix[:3, 3] = self.anchor + depth * self.view_direction
        return matrix


def radiological_frame(plane: ViewPlane, *, anchor: np.ndarray) -> ViewFrame:
    """The patient-aligned frame of a standard plane."""
    right, up = _RADIOLOGICAL_AXES[ViewPlane(plane)]
    return ViewFrame(right.copy(), up.copy(), np.asarray(anchor, dtype=np.float64).copy())


def acquisition_frame(plane: ViewPlane, *, direction: np.ndarray, anchor: np.ndarray) -> ViewFrame:
    """A frame along the volume's own axes, oriented as close as possible to the standard plane.

    Used to read an oblique acquisition in its native plane: screen-right and screen-up are the
    signed volume axes nearest to the radiological ones, so labels show the obliquity.
    """
    target_right, target_up = _RADIOLOGICAL_AXES[ViewPlane(plane)]
    axes = np.asarray(direction, dtype=np.float64)
    right_axis = int(np.argmax(np.abs(axes.T @ target_right)))
    right = axes[:, right_axis] * np.sign(axes[:, right_axis] @ target_right)
    scores = np.abs(axes.T @ target_up)
    scores[right_axis] = -1.0
    up_axis = int(np.argmax(scores))
    up = axes[:, up_axis] * np.sign(axes[:, up_axis] @ target_up)
    right = right / np.linalg.norm(right)
    up = up - (up @ right) * right
    return ViewFrame(right, up / np.linalg.norm(up), np.asarray(anchor, dtype=np.float64).copy())


def direction_label(vector: np.ndarray, *, min_fraction: float = 0.25) -> str:
    """Patient-direction letters for an LPS direction, strongest first (e.g. ``"L"``, ``"LA"``).

    A component enters the label when it carries at least ``min_fraction`` of the unit length,
    so a view tilted by more than ~15 degrees says so.
    """
    v = np.asarray(vector, dtype=np.float64)
    v = v / np.linalg.norm(v)
    letters = (("R", "L"), ("A", "P"), ("I", "S"))
    order = np.argsort(-np.abs(v))
    parts = [letters[a][int(v[a] > 0)] for a in order if abs(v[a]) >= min_fraction]
    return "".join(parts) or letters[int(order[0])][int(v[order[0]] > 0)]


def edge_labels(frame: ViewFrame) -> dict[str, str]:
    """Orientation letters for the four screen edges of a view, from its axes in LPS."""
    return {
        "left": direction_label(-frame.right),
        "right": direction_label(frame.right),
        "top": direction_label(frame.up),
        "bottom": direction_label(-frame.up),
    }


def step_along(affine: np.ndarray, direction: np.ndarray) -> float:
    """Distance in mm along ``direction`` that advances one voxel on the most-aligned grid axis.

    For a direction along a volume axis this is that axis' spacing (one slice).
    """
    index_step = np.linalg.inv(np.asarray(affine)[:3, :3]) @ np.asarray(direction, dtype=np.float64)
    return float(1.0 / np.max(np.abs(index_step)))


@dataclass(frozen=True)
class SliceRange:
    """Where the slices of a volume lie along a view's direction."""

    first_depth: float
    step: float
    count: int

    def index_of(self, depth: float) -> int:
        return int(np.clip(round((depth - self.first_depth) / self.step), 0, self.count - 1))

    def depth_of(self, index: int) -> float:
        return self.first_depth + int(np.clip(index, 0, self.count - 1)) * self.step

    def snap(self, depth: float) -> float:
        """The slice centre nearest to ``depth``, inside the volume."""
        return self.depth_of(self.index_of(depth))


def slice_range(volume: Volume, frame: ViewFrame) -> SliceRange:
    """Slices of ``volume`` along the viewing direction of ``frame``, anchored on voxel centres."""
    depths = frame.to_view(volume.corners_lps())[:, 2]
    step = step_along(volume.affine, frame.view_direction)
    count = int(round((depths.max() - depths.min()) / step)) + 1
    return SliceRange(float(depths.min()), step, max(count, 1))


@dataclass(frozen=True)
class PlaneGrid:
    """The pixel grid a view reslices onto: in-plane view mm of pixel (0, 0), spacing, size."""

    origin_uv: tuple[float, float]
    spacing: float
    size: tuple[int, int]  # (nu, nv): columns, rows

    def pixel_to_uv(self, col: float, row: float) -> tuple[float, float]:
        return self.origin_uv[0] + col * self.spacing, self.origin_uv[1] + row * self.spacing

    def uv_to_pixel(self, u: float, v: float) -> tuple[float, float]:
        return (u - self.origin_uv[0]) / self.spacing, (v - self.origin_uv[1]) / self.spacing

    @property
    def extent_uv(self) -> tuple[float, float, float, float]:
        """(u_min, u_max, v_min, v_max) of the pixel centres."""
        u0, v0 = self.origin_uv
        return u0, u0 + (self.size[0] - 1) * self.spacing, v0, v0 + (self.size[1] - 1) * self.spacing


def plane_grid(volume: Volume, frame: ViewFrame, *, max_pixels: int = 1024) -> PlaneGrid:
    """A square-pixel grid covering the volume's projection onto the view plane.

    The pixel size is the finest voxel step along the two screen axes (so no in-plane detail is
    lost), coarsened if a side would exceed ``max_pixels``.
    """
    uv = frame.to_view(volume.corners_lps())[:, :2]
    low, high = uv.min(axis=0), uv.max(axis=0)
    spacing = min(step_along(volume.affine, frame.right), step_along(volume.affine, frame.up))
    spacing = max(spacing, float(np.max(high - low)) / (max_pixels - 1))
    size = np.floor((high - low) / spacing + 1e-6).astype(int) + 1
    return PlaneGrid((float(low[0]), float(low[1])), float(spacing), (int(size[0]), int(size[1])))


def reslice_matrix(volume_affine: np.ndarray, plane_matrix: np.ndarray) -> np.ndarray:
    """4x4 map from view mm on a plane to the voxel indices ``(i, j, k)`` of a volume."""
    return np.linalg.inv(np.asarray(volume_affine, dtype=np.float64)) @ plane_matrix


def voxel_value_at(volume: Volume, lps: np.ndarray) -> float | None:
    """The value of the voxel containing an LPS point, or ``None`` outside the volume."""
    ijk = np.rint(volume.lps_to_index(lps)).astype(int)
    if np.any(ijk < 0) or np.any(ijk >= np.array(volume.shape_ijk)):
        return None
    return float(volume.array[ijk[2], ijk[1], ijk[0]])


def clamp_to_volume(volume: Volume, lps: np.ndarray) -> np.ndarray:
    """The nearest LPS point inside the volume's voxel-centre box."""
    ijk = np.clip(volume.lps_to_index(lps), 0, np.array(volume.shape_ijk) - 1)
    return volume.index_to_lps(ijk)


def nice_length(max_mm: float) -> float:
    """The largest 1-2-5 x 10^n length (mm) not above ``max_mm``, for scale bars."""
    if max_mm <= 0:
        return 0.0
    power = 10.0 ** np.floor(np.log10(max_mm))
    for factor in (5.0, 2.0, 1.0):
        if factor * power <= max_mm:
            return float(factor * power)
    return float(power)


def slice_position_label(frame: ViewFrame, depth: float) -> str:
    """Where a slice lies along its normal, as a patient coordinate: e.g. ``"S 12.0 mm"``."""
    direction = frame.view_direction
    axis = int(np.argmax(np.abs(direction)))
    value = float((frame.anchor + depth * direction)[axis])
    letters = (("R", "L"), ("A", "P"), ("I", "S"))[axis]
    return f"{letters[int(value >= 0)]} {abs(value):.1f} mm"
