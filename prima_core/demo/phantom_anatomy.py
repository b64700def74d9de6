"""One subject's brain on the phantom grid: atrophy, mass effect, lesions, and its MR signal.

An :class:`Anatomy` starts as a copy of the template brain. Findings change it in two phases:
first the whole brain is reshaped (sulci widened by atrophy, tissue pushed away from masses and
from swollen ventricles by a volume-conserving displacement field), then lesion compartments are
painted into the reshaped brain, each replacing the tissue it occupies. Scalp, skull, orbits,
dura and venous sinuses stay where the template has them. :meth:`Anatomy.signal` turns the
result into the image of one contrast on the phantom grid.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import ndimage as ndi

from prima_core.demo.phantom_contrast import Contrast, compose
from prima_core.demo.phantom_template import Template
from prima_core.demo.phantom_warp import MassSource, displacement_field, midline_shift_mm, warp_box

Box = tuple[slice, slice, slice]
INTRACRANIAL_FIXED = ("dura", "sinus")  # the choroid plexus is carved out of ventricular CSF
SHARPEN = 0.8


def grid_box(template: Template, center: np.ndarray, radius_mm: float) -> Box:
    """Grid slices (k, j, i) of the cube of half-size ``radius_mm`` around an LPS centre."""
    ijk = template.lps_to_index(np.asarray(center, np.float64))
    half = radius_mm / template.affine[0, 0]
    shape_ijk = template.gm.shape[::-1]
    lo = [max(0, int(np.floor(c - half))) for c in ijk]
    hi = [
        max(lo_ + 1, min(n, int(np.ceil(c + half)) + 1)) for c, n, lo_ in zip(ijk, shape_ijk, lo, strict=True)
    ]
    return (slice(lo[2], hi[2]), slice(lo[1], hi[1]), slice(lo[0], hi[0]))


def grid_coords(template: Template, box: Box) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Broadcastable LPS coordinates (z, y, x) of the voxels in ``box``."""
    z, y, x = template.grid_lps()
    return z[box[0]][:, None, None], y[box[1]][None, :, None], x[box[2]][None, None, :]


class Anatomy:
    """A subject's intracranial contents on the template grid (fractions 0..1)."""

    def __init__(self, template: Template) -> None:
        self.template = template
        self.gm = template.gm.copy()
        self.wm = template.wm.copy()
        self.ventricle_ratio = 1.0  # ventricular volume relative to the template's
        self._ventricle_distance: np.ndarray | None = template.ventricle_distance
        self._warp: tuple[Box, np.ndarray] | None = None
        self.lesions: dict[str, np.ndarray] = {}
        self.midline_shift_mm = 0.0
        self._csf: np.ndarray | None = None
        self._choroid = template.fixed["choroid"]

    # --- geometry helpers -------------------------------------------------------------------
    def box(self, center: np.ndarray, radius_mm: float) -> Box:
        return grid_box(self.template, center, radius_mm)

    def coords(self, box: Box) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return grid_coords(self.template, box)

    # --- phase 1: reshape the brain ---------------------------------------------------------
    def atrophy(self, *, sulcal_mm: np.ndarray | float) -> None:
        """Turn the tissue within ``sulcal_mm`` of sulcal CSF into CSF: wider sulci, thinner cortex."""
        keep = np.clip((self.template.sulcal_distance - sulcal_mm) / 1.5 + 0.5, 0.0, 1.0)
        self.gm *= keep
        self.wm *= keep
        self._csf = None

    def warp(self, sources: list[MassSource], *, ventricle_mm: float = 0.0) -> None:
        """Push the brain away from ``sources`` and swell the ventricles by ``ventricle_mm``."""
        sources = [s for s in sources if s.volume_mm3 > 0]
        t = self.template
        box = warp_box(t, sources, ventricle_mm)
        if box is None:
            return
        u, self.ventricle_ratio = displacement_field(t, box, sources, ventricle_mm)
        grid = np.indices(self.gm[box].shape, dtype=np.float32)
        start = np.array([b.start for b in box], np.float32)[:, None, None, None]
        coords = grid + start - u[::-1] / np.float32(t.affine[0, 0])  # rows (k, j, i); u is (x, y, z)
        for name in ("gm", "wm"):
            warped = getattr(self, name)
            warped[box] = ndi.map_coordinates(warped, coords, order=1, mode="nearest", prefilter=False)
        room = t.cavity[box] - self._fixed_intracranial()[box]
        tissue = self.gm[box] + self.wm[box]
        squeeze = np.where(tissue > room, room / np.maximum(tissue, 1e-6), 1.0).astype(np.float32)
        self.gm[box] *= squeeze
        self.wm[box] *= squeeze
        self._warp = (box, coords)
        self._ventricle_distance = None
        self.midline_shift_mm = midline_shift_mm(t, sources)
        self._csf = None

    @property
    def ventricle_distance(self) -> np.ndarray:
        """mm from the (displaced) ventricle wall, negative inside; warped on first use."""
        if self._ventricle_distance is None:
            field = self.template.ventricle_distance.copy()
            if self._warp is not None:
                box, coords = self._warp
                field[box] = ndi.map_coordinates(field, coords, order=1, mode="nearest", prefilter=False)
            self._ventricle_distance = field
        return self._ventricle_distance

    # --- phase 2: lesions -------------------------------------------------------------------
    def paint(self, box: Box, parts: dict[str, np.ndarray]) -> None:
        """Put lesion compartments into ``box``; they displace whatever tissue was there."""
        total = sum(parts.values())
        room = self.template.cavity[box] - self._fixed_intracranial()[box]
        scale_new = np.where(total > room, room / np.maximum(total, 1e-6), 1.0).astype(np.float32)
        keep = np.clip(1.0 - total * scale_new, 0.0, 1.0)
        self.gm[box] *= keep
        self.wm[box] *= keep
        for existing in self.lesions.values():
            existing[box] *= keep
        for name, fraction in parts.items():
            if name not in self.lesions:
                self.lesions[name] = np.zeros_like(self.gm)
            self.lesions[name][box] += fraction * scale_new
        self._csf = None

    def csf(self) -> np.ndarray:
        """Whatever the cavity holds besides tissue, lesions and fixed structures is CSF."""
        if self._csf is None:
            rest = self.template.cavity - self.gm - self.wm - self._fixed_intracranial()
            for fraction in self.lesions.values():
                rest = rest - fraction
            rest = np.clip(rest, 0.0, 1.0)
            self._choroid = np.minimum(self.template.fixed["choroid"], rest)
            self._csf = rest - self._choroid
        return self._csf

    def _fixed_intracranial(self) -> np.ndarray:
        return _fixed_intracranial(self.template)

    # --- signal -----------------------------------------------------------------------------
    def signal(self, contrast: Contrast) -> np.ndarray:
        """The noiseless image of ``contrast`` on the phantom grid (float32)."""
        out = _fixed_signal(self.template, contrast).copy()
        csf = self.csf()
        compose({"gm": self.gm, "wm": self.wm, "csf": csf, "choroid": self._choroid}, contrast, out=out)
        compose(self.lesions, contrast, out=out)
        # The template is an average of many brains, softer than one scan: restore some edge contrast.
        out += np.float32(SHARPEN) * (out - ndi.gaussian_filter(out, 1.0, truncate=2.5))
        return np.maximum(out, 0.0, out=out)


@functools.lru_cache(maxsize=2)
def _fixed_intracranial(template: Template) -> np.ndarray:
    total = np.zeros(template.gm.shape, np.float32)
    for name in INTRACRANIAL_FIXED:
        total += template.fixed[name]
    return total


@functools.lru_cache(maxsize=16)
def _fixed_signal(template: Template, contrast: Contrast) -> np.ndarray:
    parts = {name: f for name, f in template.fixed.items() if name != "choroid"}
    return compose(parts, contrast, out=np.zeros(template.gm.shape, np.float32))


@functools.lru_cache(maxsize=2)
def head_fraction(template: Template) -> np.ndarray:
    """Everything that is not air: scalp, skull, orbits and the intracranial cavity."""
    parts = [template.fixed[n] for n in ("bone", "marrow", "muscle", "fat", "skin", "vitreous", "lens")]
    return np.clip(sum(parts) + template.cavity, 0.0, 1.0).astype(np.float32)
