"""Which kept patches of a series touch which lesion: dense labels for training the demo model.

The generator writes one mask per lesion (NIfTI, patient LPS grid of 1.5 mm). A patch is marked
with a finding when at least one mask voxel centre (mask > 0.5) falls inside the patch's box of
the padded LPS grid. Findings without masks (atrophy, ventriculomegaly, mass effect, midline
shift) are never marked. These labels are used only as an auxiliary training signal; nothing
at inference reads them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from prima_core.io.nifti import nifti_volume
from prima_core.pipeline.preprocess import PreparedSeries


def lesion_points(lesions: Sequence[Mapping[str, Any]], study_dir: Path) -> dict[str, np.ndarray]:
    """LPS centres of the mask voxels of every lesion, grouped by finding."""
    points: dict[str, list[np.ndarray]] = {}
    for lesion in lesions:
        mask = nifti_volume(Path(study_dir) / lesion["mask"], None)
        k, j, i = np.nonzero(np.asarray(mask.array) > 0.5)
        if len(i):
            ijk = np.stack([i, j, k], axis=-1).astype(np.float64)
            points.setdefault(str(lesion["finding"]), []).append(mask.index_to_lps(ijk))
    return {name: np.concatenate(p) for name, p in points.items()}


def patch_lesion_labels(
    prepared: PreparedSeries,
    blocks: np.ndarray,
    points: Mapping[str, np.ndarray],
    names: Sequence[str],
) -> np.ndarray:
    """(len(blocks), len(names)) bool: patch number ``blocks[r]`` holds a voxel of finding ``names[c]``."""
    grid = prepared.grid
    out = np.zeros((len(blocks), len(names)), dtype=bool)
    if not len(blocks):
        return out
    to_grid = np.linalg.inv(prepared.padded_affine)
    row_of = {int(b): r for r, b in enumerate(np.asarray(blocks).tolist())}
    for column, name in enumerate(names):
        lps = points.get(name)
        if lps is None or not len(lps):
            continue
        c210 = lps @ to_grid[:3, :3].T + to_grid[:3, 3]  # continuous (c2, c1, c0)
        voxel = np.floor(c210[:, ::-1] + 0.5).astype(np.int64)  # (c0, c1, c2), nearest voxel
        inside = np.all((voxel >= 0) & (voxel < np.asarray(grid.padded_shape)), axis=1)
        block = voxel[inside] // np.asarray(grid.patch_shape)
        numbers = np.unique(np.ravel_multi_index(tuple(block.T), grid.blocks))
        for number in numbers.tolist():
            row = row_of.get(int(number))
            if row is not None:
                out[row, column] = True
    return out
