"""Derive a whole head (CSF, ventricles, skull, scalp, orbits, neck) from the brain template maps.

The MNI maps hold only the brain. Everything outside it is built here from distances to a
smoothed brain hull, so every layer follows the real shape of the cranial vault: a few mm of
subarachnoid CSF and dura, the skull (inner table, fatty diploe, outer table), then the scalp
(galea and temporalis muscle, subcutaneous fat, skin). Below the brain a face-and-neck block with
two eyes in orbital fat closes the head, so sagittal and coronal images do not end in air.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from prima_core.demo.phantom_neck import neck_structures

SUBARACHNOID_MM = 1.5  # brain hull to inner table
INNER_TABLE_MM = 1.6
OUTER_TABLE_MM = 1.6
SKIN_MM = 1.6
EYE_RADIUS_MM = 11.5
EYE_CENTERS_LPS = ((-31.0, -55.0, -36.0), (31.0, -55.0, -36.0))


def _bumps(shape: tuple[int, ...], seed: int, cells: int = 9) -> np.ndarray:
    """A fixed smooth random field in about [-1, 1] for anatomical variation (sum of 1D profiles)."""
    rng = np.random.default_rng(seed)
    profiles = []
    for axis, n in enumerate(shape):
        coarse = rng.uniform(-1.0, 1.0, size=cells)
        line = np.interp(np.linspace(0, cells - 1, n), np.arange(cells), coarse).astype(np.float32)
        profiles.append(line.reshape([n if a == axis else 1 for a in range(3)]))
    return (profiles[0] + profiles[1] + profiles[2]) / np.float32(1.5)


def _ramp(d: np.ndarray, edge: float | np.ndarray, width: float) -> np.ndarray:
    """Partial-volume step: 0 below ``edge - width/2``, 1 above ``edge + width/2``."""
    return np.clip((d - edge) / width + 0.5, 0.0, 1.0).astype(np.float32)


def _signed_distance(mask: np.ndarray, spacing: float) -> np.ndarray:
    """mm from the mask's surface (half a voxel beyond its outermost voxels), positive inside."""
    inside = ndi.distance_transform_edt(mask).astype(np.float32)
    outside = ndi.distance_transform_edt(~mask).astype(np.float32)
    return (inside - outside - np.where(mask, 0.5, -0.5).astype(np.float32)) * spacing


def _grid(shape: tuple[int, ...], affine: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Broadcastable LPS coordinate arrays (z[:,None,None], y[None,:,None], x[None,None,:])."""
    nk, nj, ni = shape
    s, o = np.diag(affine)[:3], affine[:3, 3]
    z = (o[2] + s[2] * np.arange(nk, dtype=np.float32))[:, None, None]
    y = (o[1] + s[1] * np.arange(nj, dtype=np.float32))[None, :, None]
    x = (o[0] + s[0] * np.arange(ni, dtype=np.float32))[None, None, :]
    return z, y, x


def _lower_head(shape: tuple[int, ...], affine: np.ndarray) -> np.ndarray:
    """Face and neck below the cranium: an ellipse per axial level, narrowing into the neck."""
    z, y, x = _grid(shape, affine)
    t = np.clip((-30.0 - z) / 60.0, 0.0, 1.0)  # 0 at the face, 1 in the neck
    half_x = 70.0 - 18.0 * t
    y_front = -88.0 + 40.0 * t  # LPS: anterior is negative y
    y_back = 62.0 - 12.0 * t
    centre_y = (y_front + y_back) / 2
    half_y = (y_back - y_front) / 2
    inside = (x / half_x) ** 2 + ((y - centre_y) / half_y) ** 2 <= 1.0
    return inside & (z < -12.0)


def _temporal_weight(shape: tuple[int, ...], affine: np.ndarray) -> np.ndarray:
    """Where the temporalis muscle thickens the scalp: lateral, above the zygoma, mid-head."""
    z, y, x = _grid(shape, affine)
    lateral = np.clip((np.abs(x) - 45.0) / 20.0, 0.0, 1.0)
    height = np.exp(-(((z - 5.0) / 28.0) ** 2))
    front_back = np.exp(-(((y + 5.0) / 45.0) ** 2))
    return (lateral * height * front_back).astype(np.float32)


def _ventricles(csf: np.ndarray, depth: np.ndarray, spacing: float) -> np.ndarray:
    """Deep CSF pools big enough to be ventricles, with their partial-volume rim."""
    seeds = (csf > 0.5) & (depth > 16.0)
    labels, n = ndi.label(seeds)
    if n == 0:
        return np.zeros_like(csf)
    sizes = ndi.sum_labels(seeds, labels, index=np.arange(1, n + 1)) * spacing**3
    keep = np.isin(labels, 1 + np.flatnonzero(sizes >= 250.0))
    keep = ndi.binary_dilation(keep, iterations=1) & (csf > 0.2)
    return (csf * keep).astype(np.float32)


def _ventricle_distance(vent_mask: np.ndarray, spacing: float, margin_mm: float = 60.0) -> np.ndarray:
    """mm from the ventricle wall (negative inside), computed in a box around the ventricles only."""
    field = np.full(vent_mask.shape, margin_mm, np.float32)
    idx = np.nonzero(vent_mask)
    pad = int(np.ceil(margin_mm / spacing))
    box = tuple(slice(max(0, int(a.min()) - pad), int(a.max()) + pad + 1) for a in idx)
    field[box] = -_signed_distance(vent_mask[box], spacing)
    return np.minimum(field, margin_mm)


def _sinuses(depth: np.ndarray, shape: tuple[int, ...], affine: np.ndarray) -> np.ndarray:
    """Superior sagittal and transverse dural venous sinuses along the inner table."""
    z, y, x = _grid(shape, affine)
    shell = np.clip(1.0 - np.abs(depth - 3.0) / 3.0, 0.0, 1.0)
    sagittal = np.clip(1.0 - np.abs(x) / 4.0, 0.0, 1.0) * (z > 10.0)
    transverse = np.clip(1.0 - np.abs(z + 8.0 + 0.1 * np.abs(x)) / 4.0, 0.0, 1.0) * (y > 55.0)
    return (shell * np.maximum(sagittal, transverse)).astype(np.float32)


def _choroid(ventricles: np.ndarray, shape: tuple[int, ...], affine: np.ndarray) -> np.ndarray:
    """Choroid plexus glomus in the atria of the lateral ventricles (enhances after contrast)."""
    z, y, x = _grid(shape, affine)
    blob = np.exp(-(((np.abs(x) - 27.0) / 8.0) ** 2 + ((y - 38.0) / 9.0) ** 2 + ((z - 14.0) / 9.0) ** 2))
    return (ventricles * np.clip(blob * 1.6, 0.0, 0.8)).astype(np.float32)


def build_head(*, t1: np.ndarray, gm: np.ndarray, wm: np.ndarray, affine: np.ndarray):  # -> Template
    """Derive every tissue map of the normal phantom head from the brain template maps."""
    from prima_core.demo.phantom_template import Template

    spacing = float(affine[0, 0])
    brain = t1 > 0.02
    total = np.maximum(gm + wm, 1.0)
    gm, wm = gm / total * brain, wm / total * brain
    csf = np.clip(brain - gm - wm, 0.0, 1.0).astype(np.float32)

    hull = ndi.gaussian_filter(brain.astype(np.float32), sigma=4.0 / spacing) > 0.42
    hull = ndi.binary_fill_holes(hull)
    depth = _signed_distance(hull, spacing) + SUBARACHNOID_MM
    cavity = _ramp(depth, 0.0, spacing)
    csf = np.maximum(csf, cavity * (1.0 - brain)).astype(np.float32)  # the subarachnoid space

    lower = _lower_head(gm.shape, affine)
    muscle_extra = 6.0 * _temporal_weight(gm.shape, affine)
    scalp_mm = 13.0 + muscle_extra
    head = (-depth <= scalp_mm) | lower
    for centre in EYE_CENTERS_LPS:  # the globes must sit inside the face
        head |= _ball(gm.shape, affine, centre, EYE_RADIUS_MM + 4.0) > 0
    skin_depth = ndi.distance_transform_edt(head).astype(np.float32) * spacing - spacing / 2

    outside = -depth
    diploe_mm = 2.4 + 1.2 * np.clip(_grid(gm.shape, affine)[0] / 80.0, 0.0, 1.0) + 1.0 * _bumps(gm.shape, 1)
    inner_end = INNER_TABLE_MM
    marrow_end = inner_end + diploe_mm
    bone_end = marrow_end + OUTER_TABLE_MM
    skull = _ramp(outside, 0.0, spacing) * (1.0 - _ramp(outside, bone_end, spacing))
    marrow = _ramp(outside, inner_end, spacing) * (1.0 - _ramp(outside, marrow_end, spacing))
    in_head = head.astype(np.float32)
    skin = in_head * (1.0 - _ramp(skin_depth, SKIN_MM, spacing))
    fat_mm = 4.0 + 1.5 * _bumps(gm.shape, 2)
    fat = _ramp(skin_depth, SKIN_MM, spacing) * (1.0 - _ramp(skin_depth, SKIN_MM + fat_mm, spacing))
    soft = np.clip(in_head - cavity - skull - skin - fat, 0.0, 1.0)
    skull, marrow = skull * (1.0 - skin - fat), marrow * (1.0 - skin - fat)
    neck = neck_structures(gm.shape, affine)
    outside_cavity = (1.0 - cavity) * in_head
    solid = np.clip(sum(neck.values()), 0.0, 1.0) * outside_cavity
    soft, fat, skin = soft * (1.0 - solid), fat * (1.0 - solid), skin * (1.0 - solid)
    marrow = np.clip(marrow * (1.0 - solid) + neck["spine_marrow"] * outside_cavity, 0.0, 1.0)
    bone = np.clip(skull * (1.0 - solid) - marrow, 0.0, 1.0) + neck["spine_bone"] * outside_cavity
    vitreous, lens, orbital_fat = _orbits(gm.shape, affine)
    orbital_fat = orbital_fat * (1.0 - vitreous - lens) * (1.0 - cavity) * (1.0 - solid)
    muscle = np.clip(soft - orbital_fat - vitreous - lens, 0.0, 1.0)
    ventricles = _ventricles(csf, depth, spacing)
    vent_mask = ventricles > 0.5
    sulcal = ((csf > 0.5) & ~vent_mask) | ((cavity > 0.5) & ~brain)
    dura = (np.clip(1.0 - np.abs(depth - 0.7) / 1.2, 0.0, 1.0) * 0.6).astype(np.float32)
    sinus = _sinuses(depth, gm.shape, affine)
    choroid = _choroid(ventricles, gm.shape, affine)
    fixed = np.clip(dura + sinus + choroid, 0.0, 1.0)
    gm, wm = gm * (1.0 - fixed), wm * (1.0 - fixed)
    fixed_parts = {
        "bone": bone.astype(np.float32),
        "marrow": marrow.astype(np.float32),
        "muscle": muscle.astype(np.float32),
        "fat": (fat + orbital_fat).astype(np.float32),
        "skin": skin.astype(np.float32),
        "vitreous": vitreous,
        "lens": lens,
        "dura": dura,
        "sinus": sinus,
        "choroid": choroid,
        "cord": neck["cord"] * outside_cavity,
        "csf_spinal": neck["csf_spinal"] * outside_cavity,
        "disc": neck["disc"] * outside_cavity,
    }
    return Template(
        affine=affine,
        gm=gm.astype(np.float32),
        wm=wm.astype(np.float32),
        cavity=cavity,
        depth=depth,
        ventricles=ventricles,
        ventricle_distance=_ventricle_distance(vent_mask, spacing),
        sulcal_distance=ndi.distance_transform_edt(~sulcal).astype(np.float32) * spacing,
        fixed=fixed_parts,
    )


def _ball(shape: tuple[int, ...], affine: np.ndarray, centre, radius: float) -> np.ndarray:
    """Soft-edged ball (fraction 0..1) of ``radius`` mm around an LPS ``centre`` (computed near it only)."""
    out = np.zeros(shape, np.float32)
    step = float(affine[0, 0])
    ijk = (np.asarray(centre, np.float64) - affine[:3, 3]) / np.diag(affine)[:3]
    reach = radius / step + 2
    box = tuple(
        slice(max(0, int(np.floor(c - reach))), min(n, int(np.ceil(c + reach)) + 1))
        for c, n in zip(ijk[::-1], shape, strict=True)
    )
    z, y, x = _grid(shape, affine)
    z, y, x = z[box[0]], y[:, box[1]], x[:, :, box[2]]
    r = np.sqrt((x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2)
    out[box] = _ramp(-r, -radius, step)
    return out


def _orbits(shape: tuple[int, ...], affine: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Globes (vitreous), lenses and the retro-orbital fat cones."""
    vitreous = np.zeros(shape, np.float32)
    lens = np.zeros(shape, np.float32)
    fat = np.zeros(shape, np.float32)
    for cx, cy, cz in EYE_CENTERS_LPS:
        globe = _ball(shape, affine, (cx, cy, cz), EYE_RADIUS_MM)
        lens_c = (cx, cy - EYE_RADIUS_MM + 2.5, cz)
        lens_b = _ball(shape, affine, lens_c, 3.0)
        vitreous = np.maximum(vitreous, globe - lens_b)
        lens = np.maximum(lens, lens_b)
        fat = np.maximum(fat, _ball(shape, affine, (cx * 0.9, cy + 14.0, cz + 1.0), 16.0))
    return vitreous, lens, np.clip(fat - vitreous - lens, 0.0, 1.0)
