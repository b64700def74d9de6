"""Measurements on what a view shows: distances in patient space and ROI statistics.

ROI statistics are computed from the resliced pixels a view displays (the plane the reader drew
on), on the view's square pixel grid, so an ROI on an oblique or reformatted plane measures what
is on screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from prima_core.geometry import PlaneGrid


class RoiShape(StrEnum):
    ELLIPSE = "ellipse"
    RECTANGLE = "rectangle"


@dataclass(frozen=True)
class RoiStats:
    mean: float
    sd: float
    minimum: float
    maximum: float
    area_mm2: float
    pixel_count: int

    def summary(self) -> str:
        return f"mean {self.mean:.1f}  sd {self.sd:.1f}  area {self.area_mm2:.1f} mm²"


def distance_mm(a_lps: np.ndarray, b_lps: np.ndarray) -> float:
    """Euclidean distance between two LPS points (mm)."""
    return float(np.linalg.norm(np.asarray(b_lps, dtype=np.float64) - np.asarray(a_lps, dtype=np.float64)))


def roi_mask(
    grid: PlaneGrid, *, shape: RoiShape, corner_a_uv: tuple[float, float], corner_b_uv: tuple[float, float]
) -> np.ndarray:
    """Boolean ``(rows, cols)`` mask of the grid pixels whose centres lie in the ROI.

    The ROI is the rectangle spanned by two opposite corners in view mm, or the ellipse
    inscribed in it.
    """
    cols = grid.origin_uv[0] + np.arange(grid.size[0]) * grid.spacing
    rows = grid.origin_uv[1] + np.arange(grid.size[1]) * grid.spacing
    u, v = np.meshgrid(cols, rows)
    (ua, va), (ub, vb) = corner_a_uv, corner_b_uv
    cu, cv = (ua + ub) / 2, (va + vb) / 2
    hu, hv = abs(ub - ua) / 2, abs(vb - va) / 2
    if hu <= 0 or hv <= 0:
        return np.zeros((grid.size[1], grid.size[0]), dtype=bool)
    if RoiShape(shape) is RoiShape.RECTANGLE:
        # half-open on the pixel grid, so a w x h mm box counts w*h mm² of pixels
        eps = 1e-6 * grid.spacing
        inside_u = (u >= cu - hu - eps) & (u < cu + hu - eps)
        return inside_u & (v >= cv - hv - eps) & (v < cv + hv - eps)
    return ((u - cu) / hu) ** 2 + ((v - cv) / hv) ** 2 <= 1.0


def roi_stats(
    pixels: np.ndarray,
    grid: PlaneGrid,
    *,
    shape: RoiShape,
    corner_a_uv: tuple[float, float],
    corner_b_uv: tuple[float, float],
) -> RoiStats | None:
    """Mean, standard deviation, range and area of the pixels inside an ROI; ``None`` if empty.

    ``pixels`` is the resliced image, shape ``(rows, cols)`` matching ``grid`` (row 0 at the
    lowest v). The area counts the pixels inside, each ``spacing²`` mm².
    """
    mask = roi_mask(grid, shape=shape, corner_a_uv=corner_a_uv, corner_b_uv=corner_b_uv)
    values = np.asarray(pixels, dtype=np.float64)[mask]
    if values.size == 0:
        return None
    return RoiStats(
        mean=float(values.mean()),
        sd=float(values.std()),
        minimum=float(values.min()),
        maximum=float(values.max()),
        area_mm2=float(values.size * grid.spacing**2),
        pixel_count=int(values.size),
    )
