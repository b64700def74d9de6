"""Where a token's patch lies: in the series' own voxels and in patient millimetres.

A token at padded-grid coordinate ``(c0, c1, c2)`` covers the voxels ``c + [0, patch)`` of the
padded grid. As a box we take the voxel *edges*, ``c - 0.5`` to ``c + patch - 0.5``, so that
boxes of neighbouring tokens touch. Part of a box may lie in the zero padding or, after the
in-plane resample, slightly beyond the last source sample; callers that draw boxes on the source
image may clip to it.
"""

from __future__ import annotations

import numpy as np

from prima_core.pipeline.preprocess import PreparedSeries


def token_box_corners_padded(coord: np.ndarray, patch_shape: tuple[int, int, int]) -> np.ndarray:
    """The 8 box corners of a token as padded-grid ``(c2, c1, c0)`` points, shape (8, 3)."""
    lo = np.asarray(coord, dtype=np.float64)[::-1] - 0.5
    size = np.asarray(patch_shape, dtype=np.float64)[::-1]
    offsets = np.array([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)], dtype=np.float64)
    return lo + offsets * size


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ matrix[:3, :3].T + matrix[:3, 3]


def token_box_lps(prepared: PreparedSeries, coord: np.ndarray) -> np.ndarray:
    """The 8 corners of a token's box in patient LPS mm, shape (8, 3)."""
    corners = token_box_corners_padded(coord, prepared.grid.patch_shape)
    return _apply(prepared.padded_affine, corners)


def token_box_to_volume_index(prepared: PreparedSeries, coord: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A token's box in the source Volume's continuous ``(i, j, k)`` index space.

    Returns
    -------
    lo, hi : float arrays (3,)
        Axis-aligned bounds (the mapping is a permutation/flip plus in-plane scaling, so the box
        stays axis-aligned in the source grid).
    """
    corners = _apply(prepared.padded_to_source, token_box_corners_padded(coord, prepared.grid.patch_shape))
    return corners.min(axis=0), corners.max(axis=0)


def token_centers_lps(prepared: PreparedSeries, coords: np.ndarray) -> np.ndarray:
    """Centres of many tokens' boxes in LPS mm; ``coords`` is (n, 3) in (c0, c1, c2)."""
    coords = np.asarray(coords, dtype=np.float64).reshape(-1, 3)
    centre = coords + (np.asarray(prepared.grid.patch_shape, dtype=np.float64) - 1) / 2
    return _apply(prepared.padded_affine, centre[:, ::-1])
