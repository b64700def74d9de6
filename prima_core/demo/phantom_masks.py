"""Ground-truth lesion masks in patient space, written as NIfTI.

Every mask of a study lies on one axis-aligned 1.5 mm grid in patient space that covers the
head, so masks can be compared with each other and with any series through their affines. A
voxel belongs to a lesion when the lesion fills at least half of it. NIfTI stores RAS
coordinates, so the file's affine is the LPS affine with x and y negated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

from prima_core.demo.phantom_acquisition import Pose, cavity_points
from prima_core.demo.phantom_lesions import Lesion
from prima_core.demo.phantom_template import Template

MASK_SPACING_MM = 1.5
LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])
_SWAP = np.array([[0, 0, 1, 0], [0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]], dtype=np.float64)


@dataclass(frozen=True)
class MaskGrid:
    """An axis-aligned patient-space grid: ``affine @ (i, j, k, 1)`` is LPS mm; arrays are [k, j, i]."""

    affine: np.ndarray
    shape: tuple[int, int, int]  # (nk, nj, ni)

    @staticmethod
    def around_head(template: Template, pose: Pose, margin_mm: float = 15.0) -> MaskGrid:
        points = pose.apply(cavity_points(template))
        lo = np.floor(points.min(axis=0) - margin_mm)
        hi = np.ceil(points.max(axis=0) + margin_mm)
        n = np.ceil((hi - lo) / MASK_SPACING_MM).astype(int) + 1
        affine = np.diag([MASK_SPACING_MM] * 3 + [1.0])
        affine[:3, 3] = lo
        return MaskGrid(affine=affine, shape=(int(n[2]), int(n[1]), int(n[0])))

    def index_to_lps(self, ijk: np.ndarray) -> np.ndarray:
        return np.asarray(ijk, np.float64) @ self.affine[:3, :3].T + self.affine[:3, 3]


def lesion_mask(lesion: Lesion, template: Template, pose: Pose, grid: MaskGrid) -> np.ndarray:
    """Boolean mask of ``lesion`` on ``grid`` (evaluated only around the lesion)."""
    start = np.array([b.start for b in lesion.box][::-1], np.float64)  # (i, j, k) of the box
    size = np.array(lesion.fraction.shape[::-1], np.float64)
    corners = np.array([[a, b, c] for a in (0, 1) for b in (0, 1) for c in (0, 1)]) * (size - 1) + start
    patient = pose.apply(template.index_to_lps(corners))
    grid_ijk = (patient - grid.affine[:3, 3]) / MASK_SPACING_MM
    lo = np.clip(np.floor(grid_ijk.min(axis=0)).astype(int) - 1, 0, None)
    hi = np.minimum(np.ceil(grid_ijk.max(axis=0)).astype(int) + 2, np.array(grid.shape[::-1]))
    mask = np.zeros(grid.shape, bool)
    if np.any(hi <= lo):
        return mask
    sub_affine = grid.affine.copy()
    sub_affine[:3, 3] = grid.index_to_lps(lo)
    to_box = np.linalg.inv(template.affine) @ pose.to_template() @ sub_affine
    to_box[:3, 3] -= start
    m = _SWAP @ to_box @ _SWAP
    shape = tuple(int(v) for v in (hi - lo)[::-1])
    values = ndi.affine_transform(
        lesion.fraction, m[:3, :3], offset=m[:3, 3], output_shape=shape, order=1, prefilter=False
    )
    peak = float(values.max())
    if peak < 0.1:
        return mask
    mask[lo[2] : hi[2], lo[1] : hi[1], lo[0] : hi[0]] = values >= min(0.5, 0.5 * peak)
    return mask


def centroid_lps(mask: np.ndarray, grid: MaskGrid) -> np.ndarray:
    """LPS mm of the mean voxel centre of ``mask``."""
    k, j, i = np.nonzero(mask)
    return grid.index_to_lps(np.array([i.mean(), j.mean(), k.mean()]))


def write_mask(mask: np.ndarray, grid: MaskGrid, path: Path) -> None:
    """Save ``mask`` ([k, j, i]) as uint8 NIfTI with its RAS affine."""
    import nibabel as nib

    image = nib.Nifti1Image(mask.transpose(2, 1, 0).astype(np.uint8), LPS_TO_RAS @ grid.affine)
    image.header.set_xyzt_units("mm")
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(image, str(path))
