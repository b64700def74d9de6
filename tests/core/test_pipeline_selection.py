"""Token selection: fill values, bins, hole filling on blocks == on voxels, the 5 % .. 0 % fallback."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from prima_core.pipeline.grid import token_grid
from prima_core.pipeline.selection import fill_values, foreground_mask, make_bins, select_at, select_tokens


def _voxel_inner(chosen_coords: list[tuple[int, int, int]], grid) -> list[tuple[int, int, int]]:
    """The reference's voxel-level version: paint patches, fill holes, scan for full patches."""
    p = grid.patch_shape
    mask = np.zeros(grid.padded_shape, dtype=bool)
    for z, y, x in chosen_coords:
        mask[z : z + p[0], y : y + p[1], x : x + p[2]] = True
    filled = ndimage.binary_fill_holes(mask)
    found = []
    for z in range(0, grid.padded_shape[0], p[0]):
        for y in range(0, grid.padded_shape[1], p[1]):
            for x in range(0, grid.padded_shape[2], p[2]):
                if filled[z : z + p[0], y : y + p[1], x : x + p[2]].all() and (z, y, x) not in chosen_coords:
                    found.append((z, y, x))
    return found


def test_block_hole_filling_equals_voxel_hole_filling():
    grid = token_grid((12, 256, 256), acquisition_axis=0)
    rng = np.random.default_rng(7)
    found = 0
    for trial in range(4):
        values = np.zeros(grid.n_patches)
        shell = rng.random(grid.blocks) < 0.35 + 0.1 * trial
        shell[1, 2:6, 2:6] = True  # a ring with a hole inside
        shell[1, 3:5, 3:5] = False
        values[shell.ravel()] = 3.5  # all in bin 3
        bins = make_bins(values, grid)
        chosen = [tuple(c) for c in grid.block_coords(bins.out[3])]
        expected = _voxel_inner(chosen, grid)
        assert [tuple(c) for c in grid.block_coords(bins.inner[3])] == expected
        found += len(expected)
    assert found > 0


def test_fill_values_use_the_release_mask_rule():
    grid = token_grid((4, 256, 256), acquisition_axis=0)
    padded = np.zeros(grid.padded_shape, dtype=np.float32)
    padded[:, :16, :32] = 60.0  # half of patch 0 is > 50
    padded[:, :32, 32:64] = 40.0  # below the threshold of a bright image
    v = fill_values(padded, grid)
    assert v[0] == 50.0 and v[1] == 0.0
    dim = padded / 100.0  # max < 5: threshold 0.5
    assert foreground_mask(dim).sum() == 4 * 16 * 32


def test_selection_order_keeps_duplicates_and_falls_back():
    grid = token_grid((4, 256, 256), acquisition_axis=0)
    values = np.zeros(grid.n_patches)
    values[[0, 1, 2, 8, 9, 10, 16, 17, 18]] = 100.0  # a 3 x 3 square
    values[9] = 4.2  # its centre is faint: Out[4] (a one-block-thick grid has no 3D holes)
    bins = make_bins(values, grid)
    kept = select_at(bins, 4)
    assert list(kept[:1]) == [9]  # Out[4] first
    assert list(kept[1:]) == [0, 1, 2, 8, 10, 16, 17, 18]  # then Out[100]
    sel = select_tokens(values, grid)
    # 5 %: 8 tokens, 4 %: 9, 3 % .. 0 %: every patch below 4 % joins (55 in Out[0])
    assert sel.filter_calls == [(5, 8), (4, 9), (3, 9), (2, 9), (1, 9), (0, 64)]
    assert sel.percent == 0 and len(sel.kept) == 64


def test_inner_patches_of_a_low_bin_are_duplicated():
    grid = token_grid((12, 256, 256), acquisition_axis=0)  # 3 x 8 x 8 blocks
    values = np.full(grid.n_patches, 100.0)
    shell = np.zeros(grid.blocks, dtype=bool)
    shell[0:3, 0:3, 0:3] = True
    shell[1, 1, 1] = False
    values[shell.ravel()] = 2.0  # a closed shell in bin 2 around block (1, 1, 1), which is in bin 100
    centre = int(np.ravel_multi_index((1, 1, 1), grid.blocks))
    bins = make_bins(values, grid)
    assert list(bins.inner[2]) == [centre]
    kept = select_at(bins, 0)
    assert list(kept).count(centre) == 2  # once as In[2], once in Out[100]
    assert len(kept) == grid.n_patches + 1
