"""From a prepared series to Prima's 289-float token vectors (``prima_reference.md`` 3.4-5).

* The padded volume is scaled by its maximum; patches are cut on the token grid (C order).
* Only the patches the selection keeps are encoded, each once: the release encodes every patch
  and then drops most, which gives the same latents for the kept ones at several times the work.
  Duplicated selections are gathered from the unique encodings, in the release's order.
* Token vector = the latent flattened after the orientation swap (256) ++ a 3D sinusoidal code of
  the grid position ``coord // div`` (30) ++ the orientation one-hot (3).

Slice axis note (also in :mod:`.grid`): a series whose three LPS sizes are all 256 uses the
acquisition's slice axis, where the release would fail.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from prima_core.pipeline.grid import TokenGrid
from prima_core.pipeline.selection import Selection

POSITION_CHANNELS = 10  # per axis: 5 frequencies x (sin, cos)
TOKEN_DIM = 289


@dataclass
class SeriesTokens:
    """The kept tokens of one series.

    Attributes
    ----------
    coords : int64 (n, 3)
        Padded-grid voxel start ``(c0, c1, c2)`` of each kept token, release order, duplicates kept.
    latents : float32 tensor (n, 2, a, b, c)
        Encoder output of each kept token, before the orientation swap.
    vectors : float32 tensor (n, 289)
        What the sequence transformer reads.
    """

    grid: TokenGrid
    selection: Selection
    coords: np.ndarray
    latents: torch.Tensor
    vectors: torch.Tensor


def scaled_padded(padded: np.ndarray) -> np.ndarray:
    """Divide the padded volume by its maximum when that is positive (float32, as the release)."""
    peak = np.float32(padded.max())
    return padded / peak if peak > 0 else padded


def cut_patches(scaled: np.ndarray, grid: TokenGrid, block_numbers: np.ndarray) -> np.ndarray:
    """The patches with the given C-order numbers, shape (m, p0, p1, p2), float32."""
    b, p = grid.blocks, grid.patch_shape
    view = scaled.reshape(b[0], p[0], b[1], p[1], b[2], p[2]).transpose(0, 2, 4, 1, 3, 5)
    i0, i1, i2 = np.unravel_index(np.asarray(block_numbers, dtype=np.int64), b)
    return np.ascontiguousarray(view[i0, i1, i2], dtype=np.float32)


def sinusoid(positions: np.ndarray) -> torch.Tensor:
    """``e(p) = [sin(p f0), cos(p f0), ..., cos(p f4)]`` with ``f_k = 10000^(-2k/10)``, in float32."""
    inv_freq = 1.0 / (10000 ** (torch.arange(0, POSITION_CHANNELS, 2).float() / POSITION_CHANNELS))
    p = torch.as_tensor(np.asarray(positions), dtype=torch.float32)
    angles = p[..., None] * inv_freq
    return torch.stack((angles.sin(), angles.cos()), dim=-1).flatten(-2)


def position_codes(grid_positions: np.ndarray) -> torch.Tensor:
    """``P(g) = e(g0) ++ e(g1) ++ e(g2)`` for integer grid positions (n, 3): (n, 30)."""
    g = np.asarray(grid_positions).reshape(-1, 3)
    return torch.cat([sinusoid(g[:, 0]), sinusoid(g[:, 1]), sinusoid(g[:, 2])], dim=-1)


def orientation_of(latent_shape: tuple[int, ...]) -> int:
    """0, 1 or 2: which spatial axis of a (2, a, b, c) latent is the thin (slice) one."""
    a, b = latent_shape[-3], latent_shape[-2]
    if a == 2:
        return 0
    if b == 2:
        return 1
    return 2


def token_vectors(latents: torch.Tensor, coords: np.ndarray) -> torch.Tensor:
    """Assemble (n, 289) token vectors from kept latents (n, 2, a, b, c) and their coordinates."""
    n = latents.shape[0]
    orientation = orientation_of(tuple(latents.shape))
    x = latents
    if orientation == 1:
        x = x.transpose(2, 3)
    elif orientation == 2:
        x = x.transpose(2, 4)
    div = np.full(3, 32, dtype=np.int64)
    div[orientation] = 4
    g = np.asarray(coords, dtype=np.int64).reshape(-1, 3) // div
    one_hot = torch.zeros(n, 3, dtype=torch.float32)
    one_hot[:, orientation] = 1.0
    flat = x.reshape(n, -1).to(torch.float32)
    return torch.cat([flat, position_codes(g), one_hot], dim=1)


def gather_kept(unique_latents: torch.Tensor, inverse: np.ndarray) -> torch.Tensor:
    """Expand latents of the unique kept patches back to the selection order (duplicates included)."""
    return unique_latents[torch.as_tensor(inverse, dtype=torch.long)]
