"""Planes sampled out of a volume in patient space, and series thumbnails.

``sample_plane`` is the reference for what a 2D view shows: the viewer reslices with VTK for
speed, and tests compare the two.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from prima_core.geometry import PlaneGrid, ViewFrame, ViewPlane, acquisition_frame, plane_grid, slice_range
from prima_core.io.volume import Volume
from prima_core.windowing import WindowLevel, auto_window, intensity_profile


def native_plane(volume: Volume) -> ViewPlane:
    """The standard plane closest to the volume's slice plane (from the k axis direction)."""
    normal = np.abs(volume.direction[:, 2])
    return (ViewPlane.SAGITTAL, ViewPlane.CORONAL, ViewPlane.AXIAL)[int(np.argmax(normal))]


def sample_plane(
    volume: Volume, frame: ViewFrame, grid: PlaneGrid, *, depth: float, order: int = 1, fill: float = 0.0
) -> np.ndarray:
    """Resample ``volume`` on ``grid`` in the plane at ``depth``: array ``(rows, cols)``.

    Row 0 is the lowest v (the bottom of the screen), matching the view's pixel grid.
    """
    cols = grid.origin_uv[0] + np.arange(grid.size[0]) * grid.spacing
    rows = grid.origin_uv[1] + np.arange(grid.size[1]) * grid.spacing
    u, v = np.meshgrid(cols, rows)
    uvw = np.stack([u, v, np.full_like(u, depth)], axis=-1)
    ijk = volume.lps_to_index(frame.to_lps(uvw))
    coords = np.stack([ijk[..., 2], ijk[..., 1], ijk[..., 0]])
    return ndimage.map_coordinates(volume.array, coords, order=order, mode="constant", cval=fill)


def middle_slice_thumbnail(
    volume: Volume, *, size: int = 96, window: WindowLevel | None = None
) -> np.ndarray:
    """The middle slice of a series in its own plane, windowed to uint8, at most ``size`` pixels a side.

    Shown the way a reader sees it (radiological orientation, true aspect ratio), row 0 at the top.
    """
    frame = acquisition_frame(native_plane(volume), direction=volume.direction, anchor=volume.center_lps())
    full = plane_grid(volume, frame)
    spacing = full.spacing * max(full.size) / size
    extent = np.array(full.size, dtype=np.float64) * full.spacing
    shape = tuple(int(n) for n in np.maximum(1, np.round(extent / spacing)))
    grid = PlaneGrid(full.origin_uv, spacing, (shape[0], shape[1]))
    depth = slice_range(volume, frame).snap(0.0)
    pixels = sample_plane(volume, frame, grid, depth=depth, order=1, fill=float(volume.array.min()))
    win = window or auto_window(intensity_profile(volume, max_samples=200_000))
    scaled = (pixels - win.lower) / max(win.width, 1e-6)
    return np.ascontiguousarray((np.clip(scaled, 0, 1) * 255).astype(np.uint8)[::-1])
