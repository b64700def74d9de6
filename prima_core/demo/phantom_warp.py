"""The displacement that reshapes a subject's brain: masses push it away, ventricles swell into it.

Two kinds of push are summed into one field, evaluated on a grid twice coarser than the phantom
grid and interpolated:

* A :class:`MassSource` adds volume at a point. Around it the brain moves outwards so that the
  volume between radius r and the source is conserved; on top of that the whole hemisphere
  gives way a little (the skull is closed), by about the volume divided by the midline's area,
  which is what shifts the midline under big masses. Sources inside the brain are
  damped near the skull; sources on the dura (meningioma, subdural blood) push into a half space.
* Ventricular enlargement by ``delta`` mm moves the tissue at distance d from the ventricle wall
  outwards by ``delta * exp(-d / decay)`` along the distance gradient. Where the gradient
  vanishes (the septum pellucidum between the lateral ventricles) nothing moves, so the
  ventricles balloon on both sides of a septum that stays in the midline.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from prima_core.demo.phantom_template import Template

Box = tuple[slice, slice, slice]
HEMISPHERE_AREA_MM2 = 9000.0  # area through which a hemisphere's volume displaces the midline
BROAD_REACH_MM = 70.0
VENTRICLE_DECAY_MM = 12.0
SEPTUM_PROBES_LPS = np.array([[0.0, -14.0, 12.0], [0.0, -6.0, 14.0], [0.0, 2.0, 16.0], [0.0, -2.0, 2.0]])


@dataclass(frozen=True)
class MassSource:
    """Extra volume that pushes the surrounding brain away from ``center`` (template LPS mm).

    ``dural`` sources sit on the inner table (meningioma, subdural blood): the brain can only
    move away from the skull, so their volume is pushed into a half space and the push is not
    damped near the skull as it is for sources inside the brain.
    """

    center: tuple[float, float, float]
    volume_mm3: float
    dural: bool = False

    @property
    def radius_mm(self) -> float:
        """Radius of the sphere its volume would fill (doubled volume for a half space)."""
        return float(np.cbrt((2.0 if self.dural else 1.0) * 3.0 * self.volume_mm3 / (4 * np.pi)))


def radial_push(points: np.ndarray, depth: np.ndarray, sources: list[MassSource]) -> np.ndarray:
    """Forward displacement (mm, LPS, shape of ``points``) at deformed ``points`` (..., 3)."""
    total = np.zeros(points.shape, np.float32)
    damp = np.clip(depth / 12.0, 0.0, 1.0)[..., None]
    for src in sources:
        offset = points - np.asarray(src.center, np.float32)
        r = np.sqrt((offset**2).sum(axis=-1))[..., None] + np.float32(1e-3)
        r_eff = np.float32(src.radius_mm)
        magnitude = r - np.cbrt(np.maximum(r**3 - r_eff**3, 0.0))
        # The closed skull makes the whole hemisphere give way, not just the neighbourhood:
        # a broad push of about volume / midline area, fading over a brain's width.
        broad = src.volume_mm3 / HEMISPHERE_AREA_MM2 * np.minimum(r / r_eff, 1.0)
        magnitude = magnitude + broad * np.exp(-((r / np.float32(BROAD_REACH_MM)) ** 2) / 2)
        push = offset / r * magnitude
        total += push if src.dural else push * damp
    return total


def ventricular_push(template: Template, index: tuple[np.ndarray, ...], delta_mm: float) -> np.ndarray:
    """Forward displacement (..., 3 LPS) at integer grid ``index`` (k, j, i) for ``delta_mm`` swelling."""
    f = template.ventricle_distance
    k, j, i = (np.clip(a, 1, n - 2) for a, n in zip(index, f.shape, strict=True))
    step = 2.0 * float(template.affine[0, 0])
    grad = np.stack(
        [f[k, j, i + 1] - f[k, j, i - 1], f[k, j + 1, i] - f[k, j - 1, i], f[k + 1, j, i] - f[k - 1, j, i]],
        axis=-1,
    ) / np.float32(step)
    norm = np.sqrt((grad**2).sum(axis=-1, keepdims=True))
    grad = grad / np.maximum(norm, 1.0)
    d = f[k, j, i]
    d0 = d - delta_mm
    for _ in range(4):  # solve d0 + delta * exp(-d0 / decay) = d for the tissue's original distance
        d0 = d - delta_mm * np.exp(-np.maximum(d0, 0.0) / VENTRICLE_DECAY_MM)
    if delta_mm > 0:  # the swollen ventricle is filled from just inside the old wall, never across it
        d0 = np.maximum(d0, np.minimum(d, -1.0))
    return (grad * (d - d0)[..., None]).astype(np.float32)


@functools.lru_cache(maxsize=2)
def _ventricle_bounds(template: Template) -> tuple[np.ndarray, np.ndarray]:
    k, j, i = np.nonzero(template.ventricles > 0.5)
    points = template.index_to_lps(np.stack([i, j, k], axis=1))
    return points.min(axis=0), points.max(axis=0)


def warp_box(template: Template, sources: list[MassSource], ventricle_mm: float) -> Box | None:
    """The part of the grid the displacement reaches (None when nothing moves)."""
    lows, highs = [], []
    for src in sources:
        near = max(2.0 * src.radius_mm, 1.3 * src.radius_mm**1.5)  # where the local push falls below 0.2 mm
        broad = src.volume_mm3 / HEMISPHERE_AREA_MM2
        far = BROAD_REACH_MM * np.sqrt(2.0 * np.log(broad / 0.2)) if broad > 0.2 else 0.0
        reach = min(max(near, far), 200.0)
        lows.append(np.asarray(src.center) - reach)
        highs.append(np.asarray(src.center) + reach)
    if ventricle_mm:
        lo, hi = _ventricle_bounds(template)
        margin = 3.5 * VENTRICLE_DECAY_MM + abs(ventricle_mm)
        lows.append(lo - margin)
        highs.append(hi + margin)
    if not lows:
        return None
    lo, hi = np.min(lows, axis=0), np.max(highs, axis=0)
    start = np.maximum(np.floor(template.lps_to_index(lo)).astype(int), 0)
    stop = np.minimum(np.ceil(template.lps_to_index(hi)).astype(int) + 1, np.array(template.gm.shape[::-1]))
    return (slice(start[2], stop[2]), slice(start[1], stop[1]), slice(start[0], stop[0]))


def displacement_field(
    template: Template, box: Box, sources: list[MassSource], ventricle_mm: float
) -> tuple[np.ndarray, float]:
    """Displacement (3, nk, nj, ni; x, y, z mm) in ``box``, and the ventricular volume ratio after it."""
    full = [b.stop - b.start for b in box]
    coarse = [max(2, (n + 1) // 2) for n in full]
    idx = [np.linspace(b.start, b.stop - 1, n, dtype=np.float32) for b, n in zip(box, coarse, strict=True)]
    kk, jj, ii = np.meshgrid(*idx, indexing="ij")
    nearest = tuple(np.round(a).astype(int) for a in (kk, jj, ii))
    points = template.index_to_lps(np.stack([ii, jj, kk], axis=-1)).astype(np.float32)
    u = radial_push(points, template.depth[nearest], sources)
    if ventricle_mm:
        u += ventricular_push(template, nearest, ventricle_mm)
    pulled = np.stack([kk, jj, ii]) - np.moveaxis(u[..., ::-1], -1, 0) / np.float32(template.affine[0, 0])
    inside = ndi.map_coordinates(template.ventricles, pulled, order=1, mode="nearest", prefilter=False)
    per_sample = float(np.prod([f / c for f, c in zip(full, coarse, strict=True)]))
    before = float(template.ventricles.sum())
    after = before - float(template.ventricles[box].sum()) + float(inside.sum()) * per_sample
    factors = [f / c for f, c in zip(full, coarse, strict=True)]
    field = np.stack([ndi.zoom(u[..., c], factors, order=1, grid_mode=False) for c in range(3)])
    return field, after / max(before, 1e-6)


def midline_shift_mm(template: Template, sources: list[MassSource]) -> float:
    """Sideways displacement of the septum pellucidum (median over a few points along it)."""
    if not sources:
        return 0.0
    index = tuple(np.round(template.lps_to_index(SEPTUM_PROBES_LPS)[:, ::-1].T).astype(int))
    shift = radial_push(SEPTUM_PROBES_LPS.astype(np.float32), template.depth[index], sources)
    return float(np.median(np.abs(shift[:, 0])))
