"""Shapes that findings are drawn with: irregular ellipsoids, wedges, surface points, soft edges.

All coordinates are template LPS millimetres on the phantom grid; shapes are evaluated only in
a box around the lesion, and their edges are soft (partial volume over about one grid voxel).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from prima_core.demo.phantom_anatomy import Box, grid_box, grid_coords
from prima_core.demo.phantom_template import Template


@dataclass
class Lesion:
    """One ground-truth lesion: the finding it shows and its extent on the phantom grid."""

    finding: str
    box: Box
    fraction: np.ndarray  # 0..1 inside ``box``


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A uniformly random 3x3 rotation (from a random unit quaternion)."""
    w, x, y, z = (q := rng.standard_normal(4)) / np.linalg.norm(q)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def soft_inside(d: np.ndarray, edge: float | np.ndarray, width: float) -> np.ndarray:
    """1 where ``d`` is well below ``edge``, 0 well above, a linear ramp ``width`` wide between."""
    return np.clip((edge - d) / width + 0.5, 0.0, 1.0).astype(np.float32)


def smooth_noise(shape: tuple[int, ...], rng: np.random.Generator, *, scale_mm: float) -> np.ndarray:
    """Smooth random field on the phantom grid, bumps about ``scale_mm`` apart, values mostly in [-1, 1]."""
    cells = [int(np.ceil(n * 1.5 / scale_mm)) + 2 for n in shape]
    coarse = rng.standard_normal(cells).astype(np.float32)
    field = ndi.zoom(
        coarse, [n / c for n, c in zip(shape, cells, strict=True)], order=1, grid_mode=True, mode="nearest"
    )
    return field / np.float32(1.2)


def ellipsoid_distance(
    template: Template, box: Box, center: np.ndarray, radii: np.ndarray, rotation: np.ndarray
) -> np.ndarray:
    """Normalised distance (1 on the surface) of the voxels in ``box`` from an ellipsoid's centre.

    ``rotation``'s columns are the ellipsoid's axes, ``radii`` its semi-axes in mm.
    """
    z, y, x = grid_coords(template, box)
    c = np.asarray(center, np.float32)
    inv = (rotation.T / np.asarray(radii)[:, None]).astype(np.float32)  # rows: axes scaled
    dx, dy, dz = x - c[0], y - c[1], z - c[2]
    total = np.zeros(np.broadcast_shapes(x.shape, y.shape, z.shape), np.float32)
    for row in inv:
        total += (row[0] * dx + row[1] * dy + row[2] * dz) ** 2
    return np.sqrt(total)


def irregular_blob(
    template: Template,
    center: np.ndarray,
    radius: float,
    rng: np.random.Generator,
    *,
    roughness: float,
    margin: float,
) -> tuple[Box, np.ndarray, np.ndarray]:
    """An irregular, randomly oriented ellipsoid: its box, normalised distance and semi-axes."""
    radii = radius * rng.uniform(0.8, 1.2, size=3)
    box = grid_box(template, center, radii.max() * (1 + roughness) + margin)
    d = ellipsoid_distance(template, box, center, radii, random_rotation(rng))
    bumps = 0.7 * smooth_noise(d.shape, rng, scale_mm=radius * 0.9) + 0.3 * smooth_noise(
        d.shape, rng, scale_mm=radius * 0.4
    )
    d = d * (1.0 + roughness * bumps)
    return box, d, radii


def pick_point(template: Template, candidates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random template LPS point among the voxels where ``candidates`` is true."""
    flat = np.flatnonzero(candidates)
    if flat.size == 0:
        raise RuntimeError("no place in the template fits this lesion")
    k, j, i = np.unravel_index(int(rng.choice(flat)), candidates.shape)
    jitter = rng.uniform(-0.5, 0.5, size=3)
    return template.index_to_lps(np.array([i, j, k]) + jitter)


def coords_full(template: Template) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Broadcastable LPS coordinates (z, y, x) of the whole phantom grid."""
    z, y, x = template.grid_lps()
    return z[:, None, None], y[None, :, None], x[None, None, :]


def gradient_direction(template: Template, field: np.ndarray, point: np.ndarray) -> np.ndarray:
    """Unit vector (LPS) along which ``field`` increases fastest at ``point`` (central differences)."""
    i, j, k = np.round(template.lps_to_index(point)).astype(int)
    f = field
    g = np.array(
        [f[k, j, i + 1] - f[k, j, i - 1], f[k, j + 1, i] - f[k, j - 1, i], f[k + 1, j, i] - f[k - 1, j, i]]
    )
    norm = np.linalg.norm(g)
    return g / norm if norm > 0 else np.array([1.0, 0.0, 0.0])


def outward_normal(template: Template, point: np.ndarray) -> np.ndarray:
    """Unit vector from ``point`` towards the skull (against the gradient of cavity depth)."""
    return -gradient_direction(template, template.depth, point)


def frame_along(axis: np.ndarray) -> np.ndarray:
    """A rotation whose first column is ``axis`` (normalised)."""
    a = np.asarray(axis, np.float64) / np.linalg.norm(axis)
    helper = np.array([0.0, 0.0, 1.0]) if abs(a[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    b = np.cross(a, helper)
    b /= np.linalg.norm(b)
    return np.stack([a, b, np.cross(a, b)], axis=1)


def distance_to(template: Template, box: Box, point: np.ndarray) -> np.ndarray:
    """Euclidean distance (mm) of the voxels in ``box`` from an LPS point."""
    z, y, x = grid_coords(template, box)
    p = np.asarray(point, np.float32)
    return np.sqrt((x - p[0]) ** 2 + (y - p[1]) ** 2 + (z - p[2]) ** 2)


def surface_points(
    template: Template, near: np.ndarray, within_mm: float, count: int, rng: np.random.Generator
):
    """Up to ``count`` random points on the inner table within ``within_mm`` of ``near`` (same side)."""
    z, y, x = coords_full(template)
    shell = (template.depth > 0.0) & (template.depth < 2.5)
    close = (x - near[0]) ** 2 + (y - near[1]) ** 2 + (z - near[2]) ** 2 < within_mm**2
    same_side = np.sign(x) == np.sign(near[0])
    flat = np.flatnonzero(shell & close & same_side)
    chosen = rng.choice(flat, size=min(count, flat.size), replace=False)
    k, j, i = np.unravel_index(chosen, shell.shape)
    return template.index_to_lps(np.stack([i, j, k], axis=1))
