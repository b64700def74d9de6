"""Which tokens of a series Prima keeps: foreground fill values, bins and hole filling.

Rules of the released pipeline (``prima_reference.md`` sections 3.3-3.5 and 4):

* fill value of a patch: ``v = 100 * mean(mask in the patch)``, with the foreground mask
  ``a > 0.5`` if the padded volume's maximum is below 5, else ``a > 50``;
* ``Out[t]``: patches with ``t <= v < t + 1``, in patch (C) order;
* ``In[t]`` (t <= 20): fill the holes of the union of the ``Out[t]`` patches
  (``scipy.ndimage.binary_fill_holes``, default structure) and list, in C order, every patch
  lying entirely inside the filled mask that is not itself in ``Out[t]``;
* selection at ``p``: ``Out[p], In[p], Out[p+1], In[p+1], ..., Out[100]``, duplicates kept; try
  ``p = 5, 4, ..., 0`` and use the first that keeps more than 25 tokens (else ``p = 0``).

The hole filling runs on the block grid rather than on voxels. Both masks are unions of whole
patches, so the background is a union of whole patches too, and two background patches are
face-connected as voxels exactly when they are face-connected as blocks; a block grid filled
with the same (face) connectivity gives the same filled set, with the work divided by the patch
volume. ``tests/core/test_pipeline_selection.py`` checks this against the voxel version.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from prima_core.pipeline.grid import TokenGrid

START_PERCENT = 5
MIN_TOKENS = 25
HOLE_FILL_MAX_BIN = 20
N_BINS = 101  # t = 0..100


def foreground_mask(padded: np.ndarray) -> np.ndarray:
    """The release's foreground mask on the padded raw intensities."""
    return padded > 0.5 if padded.max() < 5 else padded > 50


def fill_values(padded: np.ndarray, grid: TokenGrid) -> np.ndarray:
    """``100 * mean(mask)`` per patch, C order over the block grid (float64, as ``np.mean``)."""
    mask = foreground_mask(padded)
    b, p = grid.blocks, grid.patch_shape
    blocks = mask.reshape(b[0], p[0], b[1], p[1], b[2], p[2])
    counts = blocks.sum(axis=(1, 3, 5), dtype=np.int64).ravel()
    return counts / float(p[0] * p[1] * p[2]) * 100.0


@dataclass
class Bins:
    """Patch numbers per fill bin: ``out[t]`` and, for t <= 20, ``inner[t]``."""

    out: list[np.ndarray]
    inner: list[np.ndarray]


def make_bins(values: np.ndarray, grid: TokenGrid) -> Bins:
    """Group patch numbers by fill value and find the hole-filled inner patches."""
    bin_of = np.floor(values).astype(np.int64)
    out = [np.flatnonzero(bin_of == t) for t in range(N_BINS)]
    inner = []
    for t in range(HOLE_FILL_MAX_BIN + 1):
        chosen = np.zeros(grid.n_patches, dtype=bool)
        chosen[out[t]] = True
        if not chosen.any():
            inner.append(np.empty(0, dtype=np.int64))
            continue
        filled = ndimage.binary_fill_holes(chosen.reshape(grid.blocks)).ravel()
        inner.append(np.flatnonzero(filled & ~chosen))
    return Bins(out=out, inner=inner)


def select_at(bins: Bins, percent: int) -> np.ndarray:
    """Patch numbers kept at ``percent``, in the release's order, duplicates included."""
    parts: list[np.ndarray] = []
    for t in range(percent, N_BINS):
        parts.append(bins.out[t])
        if t <= HOLE_FILL_MAX_BIN:
            parts.append(bins.inner[t])
    return np.concatenate(parts).astype(np.int64)


@dataclass
class Selection:
    """The tokens kept for one series and how they were chosen."""

    kept: np.ndarray  # patch numbers (C order over the block grid), duplicates included
    percent: int
    filter_calls: list[tuple[int, int]] = field(default_factory=list)  # (percent, n kept) per try
    tokens_total: int = 0


def select_tokens(values: np.ndarray, grid: TokenGrid) -> Selection:
    """Run the release's selection with its fallback from 5 % down to 0 %."""
    bins = make_bins(values, grid)
    calls: list[tuple[int, int]] = []
    kept = np.empty(0, dtype=np.int64)
    percent = START_PERCENT
    for percent in range(START_PERCENT, -1, -1):
        kept = select_at(bins, percent)
        calls.append((percent, int(kept.size)))
        if kept.size > MIN_TOKENS:
            break
    return Selection(kept=kept, percent=percent, filter_calls=calls, tokens_total=grid.n_patches)
