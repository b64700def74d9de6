"""Token scores -> a heat map in a series' own voxel grid and patient affine.

A token covers a block of the padded, resampled, LPS-reoriented grid (32 x 32 x 4 voxels, the 4
along the slice axis). Scores are first summed per block (a patch the selection kept twice gets
the sum of its copies: each copy fed the model separately) into a small block grid; then every
voxel centre of the source series is mapped into the padded grid through the exact inverse of
the preprocessing geometry (``PreparedSeries.padded_to_source``) and takes the score of the block
that contains it (nearest block, no blur, so a map never claims evidence outside the patch).

The mapping is a permutation/flip with in-plane scaling, so each padded axis depends on one
source axis and the lookup separates into three 1D index arrays (exact, and O(voxels) with no
coordinate arrays). A general affine falls back to mapping every voxel centre (nearest block,
the same rule as ``scipy.ndimage.map_coordinates(order=0)`` on the block grid, but with the
edge convention fixed: voxel ``c`` of the padded grid spans ``[c - 0.5, c + 0.5)``).
"""

from __future__ import annotations

import numpy as np

from prima_core.io.volume import Volume
from prima_core.pipeline.preprocess import PreparedSeries


def block_scores(prepared: PreparedSeries, coords: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Sum of token scores per block of the token grid, shape ``grid.blocks``."""
    grid = prepared.grid
    out = np.zeros(int(np.prod(grid.blocks)), dtype=np.float64)
    coords = np.asarray(coords, dtype=np.int64).reshape(-1, 3)
    if len(coords):
        np.add.at(out, grid.block_index(coords), np.asarray(scores, dtype=np.float64).reshape(-1))
    return out.reshape(grid.blocks)


def _source_to_padded(prepared: PreparedSeries) -> np.ndarray:
    """4x4: source ``(i, j, k, 1)`` -> padded-grid ``(c2, c1, c0, 1)``."""
    return np.linalg.inv(prepared.padded_to_source)


def _block_of(position: np.ndarray, patch: int | np.ndarray) -> np.ndarray:
    """Block number of continuous padded positions: voxel ``c`` spans ``[c - 0.5, c + 0.5)``."""
    return np.floor((position + 0.5) / patch).astype(np.int64)


def _separable(prepared: PreparedSeries, blocks: np.ndarray) -> np.ndarray | None:
    """The source-grid map by per-axis lookups, or None when the mapping is not axis-aligned."""
    m = _source_to_padded(prepared)
    linear = m[:3, :3]
    nonzero = np.abs(linear) > 1e-9 * np.abs(linear).max()
    if not (nonzero.sum(axis=1) == 1).all() or not (nonzero.sum(axis=0) == 1).all():
        return None
    shape_ijk = prepared.source_shape_ijk
    padded = np.pad(blocks, [(0, 1)] * 3)  # the extra last slot (index -1) is "outside": 0
    index_arrays, source_axes = [], []
    for axis in range(3):  # padded numpy axis c0, c1, c2 = affine row 2, 1, 0
        row = 2 - axis
        src = int(np.flatnonzero(nonzero[row])[0])
        t = np.arange(shape_ijk[src], dtype=np.float64)
        b = _block_of(linear[row, src] * t + m[row, 3], prepared.grid.patch_shape[axis])
        b[(b < 0) | (b >= blocks.shape[axis])] = -1
        index_arrays.append(b)
        source_axes.append(src)
    gathered = padded[np.ix_(*index_arrays)]  # indexed by (source axis of c0, of c1, of c2)
    order = [source_axes.index(src) for src in (2, 1, 0)]  # to the source's array[k, j, i]
    return np.ascontiguousarray(gathered.transpose(order))


def _general(prepared: PreparedSeries, blocks: np.ndarray) -> np.ndarray:
    """The source-grid map for any affine: every voxel centre mapped, its block looked up."""
    ni, nj, nk = prepared.source_shape_ijk
    kk, jj, ii = np.meshgrid(np.arange(nk), np.arange(nj), np.arange(ni), indexing="ij")
    ijk = np.stack([ii, jj, kk], axis=-1).reshape(-1, 3).astype(np.float64)
    m = _source_to_padded(prepared)
    padded = (ijk @ m[:3, :3].T + m[:3, 3])[:, ::-1]  # (c0, c1, c2)
    index = _block_of(padded, np.asarray(prepared.grid.patch_shape))
    valid = ((index >= 0) & (index < np.asarray(blocks.shape))).all(axis=1)
    out = np.zeros(len(ijk), dtype=blocks.dtype)
    out[valid] = blocks[tuple(index[valid].T)]
    return out.reshape(nk, nj, ni)


def render_series_map(prepared: PreparedSeries, blocks: np.ndarray, *, general: bool = False) -> np.ndarray:
    """Block scores -> an array shaped like the source series, ``[k, j, i]``."""
    out = None if general else _separable(prepared, blocks)
    return _general(prepared, blocks) if out is None else out


def heatmap_volume(
    prepared: PreparedSeries,
    coords: np.ndarray,
    scores: np.ndarray,
    *,
    scale: float,
    metadata: dict | None = None,
) -> Volume:
    """A display heat map (float32, positive evidence / ``scale``, so the study's top is 1) in
    the series' own grid and affine. ``scale`` (raw units) is stored in the metadata."""
    blocks = np.clip(block_scores(prepared, coords, scores), 0.0, None)
    array = render_series_map(prepared, blocks)
    if scale > 0:
        array = array / scale
    meta = {"kind": "explanation heatmap", "scale": float(scale), "normalized": True, **(metadata or {})}
    return Volume(array.astype(np.float32), prepared.source_affine.copy(), meta)
