"""Midline structures below the brain: spinal cord, vertebrae, airway and paranasal sinuses.

Every brain MRI shows them on its sagittal images and lowest axial slices. They are simple
shapes placed in template LPS mm (anterior is -y) under the medulla of the MNI template, which
ends at z = -71 mm: the cord in its CSF sac, vertebral bodies with discs in front of it and
laminae behind, the pharynx in front of the spine, the nasal cavity between the orbits, and the
maxillary and sphenoid sinuses (air).
"""

from __future__ import annotations

import numpy as np

CORD_Y = 44.0  # the medulla's centre at the bottom of the template
CORD_TOP = -64.0
VERTEBRA_MM, DISC_MM = 16.0, 4.0
BODY_Y = 23.0


def _grid(shape: tuple[int, ...], affine: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    nk, nj, ni = shape
    s, o = np.diag(affine)[:3], affine[:3, 3]
    z = (o[2] + s[2] * np.arange(nk, dtype=np.float32))[:, None, None]
    y = (o[1] + s[1] * np.arange(nj, dtype=np.float32))[None, :, None]
    x = (o[0] + s[0] * np.arange(ni, dtype=np.float32))[None, None, :]
    return z, y, x


def _soft(d: np.ndarray, width: float = 1.5) -> np.ndarray:
    """1 inside (d < 0), 0 outside, linear over ``width`` mm."""
    return np.clip(0.5 - d / width, 0.0, 1.0).astype(np.float32)


def _ellipse(x, y, cx, cy, ax, ay) -> np.ndarray:
    """Signed-ish distance (mm) to an axis-aligned ellipse in the axial plane."""
    return (np.sqrt(((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2) - 1.0) * min(ax, ay)


def _ellipsoid(x, y, z, centre, radii) -> np.ndarray:
    """Soft-edged axis-aligned ellipsoid, evaluated only in its bounding box."""
    out = np.zeros(np.broadcast_shapes(x.shape, y.shape, z.shape), np.float32)
    near = [
        np.abs(a.ravel() - c) <= r + 3.0 for a, c, r in zip((z, y, x), centre[::-1], radii[::-1], strict=True)
    ]
    box = tuple(
        slice(int(np.argmax(m)), len(m) - int(np.argmax(m[::-1]))) if m.any() else slice(0, 0) for m in near
    )
    zz, yy, xx = z[box[0]], y[:, box[1]], x[:, :, box[2]]
    r = np.sqrt(
        ((xx - centre[0]) / radii[0]) ** 2
        + ((yy - centre[1]) / radii[1]) ** 2
        + ((zz - centre[2]) / radii[2]) ** 2
    )
    out[box] = _soft((r - 1.0) * min(radii))
    return out


def neck_structures(shape: tuple[int, ...], affine: np.ndarray) -> dict[str, np.ndarray]:
    """Fractions of cord, spinal CSF, vertebral marrow and cortex, discs, and air."""
    z, y, x = _grid(shape, affine)
    below = _soft(z - CORD_TOP, 3.0)
    cord = _soft(_ellipse(x, y, 0.0, CORD_Y, 5.5, 4.5)) * below
    sac = _soft(_ellipse(x, y, 0.0, CORD_Y, 9.0, 8.0)) * below
    level = np.mod(-68.0 - z, VERTEBRA_MM + DISC_MM)  # 0 at the top of each vertebra
    spine = z < -68.0
    in_body = (level < VERTEBRA_MM) & spine
    inner = (level > 1.2) & (level < VERTEBRA_MM - 1.2) & spine
    body = _soft(_ellipse(x, y, 0.0, BODY_Y, 10.0, 8.5))
    marrow = _soft(_ellipse(x, y, 0.0, BODY_Y, 8.5, 7.0)) * inner
    lamina = _soft(np.abs(np.sqrt(x**2 + (y - CORD_Y) ** 2) - 12.0) - 2.5) * (y > CORD_Y)
    spinous = _soft(np.maximum(np.abs(x) - 3.0, np.abs(y - CORD_Y - 22.0) - 8.0))
    cortex = np.clip(np.maximum(body, np.maximum(lamina, spinous)) * in_body - marrow, 0.0, 1.0)
    disc = body * (~in_body) * spine
    pharynx = _soft(_ellipse(x, y, 0.0, BODY_Y - 22.0, 13.0, 6.0)) * _soft(z + 40.0, 4.0)
    nasal = np.maximum(
        _ellipsoid(x, y, z, (7.5, -42.0, -50.0), (6.0, 30.0, 14.0)),
        _ellipsoid(x, y, z, (-7.5, -42.0, -50.0), (6.0, 30.0, 14.0)),
    )
    maxillary = np.maximum(
        _ellipsoid(x, y, z, (27.0, -50.0, -62.0), (11.0, 14.0, 13.0)),
        _ellipsoid(x, y, z, (-27.0, -50.0, -62.0), (11.0, 14.0, 13.0)),
    )
    sphenoid = _ellipsoid(x, y, z, (0.0, -14.0, -42.0), (12.0, 10.0, 8.0))
    air = np.maximum(np.maximum(pharynx, nasal), np.maximum(maxillary, sphenoid))
    return {
        "cord": cord,
        "csf_spinal": np.clip(sac - cord, 0.0, 1.0),
        "spine_marrow": (marrow * (1.0 - sac)).astype(np.float32),
        "spine_bone": (cortex * (1.0 - sac)).astype(np.float32),
        "disc": disc.astype(np.float32),
        "air": np.clip(air, 0.0, 1.0),
    }
