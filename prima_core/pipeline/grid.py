"""The token grid of a series: slice axis, patch shape and zero padding of the LPS array.

Rules of the released pipeline (``prima_reference.md`` sections 3.1-3.2):

* the slice axis is the first axis of ``a[S, P, L]`` whose size is not 256; patches are 4 voxels
  along it and 32 along the two others;
* every axis is zero-padded up to a multiple of its patch size, ``p // 2`` before and the rest
  after.

Divergence from the release, on purpose: when all three sizes are 256 the release fails on the
series (it finds no slice axis). We use the acquisition's slice axis instead -- the axis of
``a[S, P, L]`` that the source volume's ``k`` (slice) axis became after reorientation -- so a
256 x 256 x 256 series is tokenized like any other stack of 256 x 256 slices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

IN_PLANE_SIZE = 256
SLICE_PATCH = 4
IN_PLANE_PATCH = 32
#: Latent size along the slice axis / in-plane axes after the encoder (input 8 and 32, stride 4).
LATENT_SLICE = 2
LATENT_IN_PLANE = 8


@dataclass(frozen=True)
class TokenGrid:
    """Patch layout of one series in the padded LPS grid ``padded[c0, c1, c2]``."""

    shape: tuple[int, int, int]  # unpadded a[S, P, L] shape
    slice_axis: int
    patch_shape: tuple[int, int, int]
    pad_before: tuple[int, int, int]
    padded_shape: tuple[int, int, int]

    @property
    def blocks(self) -> tuple[int, int, int]:
        """Number of patches along each axis."""
        return (
            self.padded_shape[0] // self.patch_shape[0],
            self.padded_shape[1] // self.patch_shape[1],
            self.padded_shape[2] // self.patch_shape[2],
        )

    @property
    def n_patches(self) -> int:
        b = self.blocks
        return b[0] * b[1] * b[2]

    @property
    def latent_shape(self) -> tuple[int, int, int, int]:
        """Encoder output per patch, (channels, a, b, c) before the orientation swap."""
        sizes = [LATENT_IN_PLANE] * 3
        sizes[self.slice_axis] = LATENT_SLICE
        return (2, sizes[0], sizes[1], sizes[2])

    def block_coords(self, block_index: np.ndarray) -> np.ndarray:
        """Voxel start ``(c0, c1, c2)`` in the padded grid of patches numbered in C order."""
        idx = np.unravel_index(np.asarray(block_index, dtype=np.int64), self.blocks)
        return np.stack(idx, axis=-1) * np.asarray(self.patch_shape, dtype=np.int64)

    def block_index(self, coords: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`block_coords`."""
        blocks = np.asarray(coords, dtype=np.int64) // np.asarray(self.patch_shape, dtype=np.int64)
        return np.ravel_multi_index(tuple(blocks.T), self.blocks)


def choose_slice_axis(shape: tuple[int, int, int], acquisition_axis: int) -> int:
    """First axis whose size is not 256; ``acquisition_axis`` when all three are 256."""
    for axis, size in enumerate(shape):
        if size != IN_PLANE_SIZE:
            return axis
    return acquisition_axis


def token_grid(shape: tuple[int, int, int], *, acquisition_axis: int) -> TokenGrid:
    """Lay patches over an ``a[S, P, L]`` array of ``shape``.

    ``acquisition_axis`` is the axis of ``a`` that the source's slice axis became; it is used
    only when every size is 256 (see the module docstring).
    """
    slice_axis = choose_slice_axis(shape, acquisition_axis)
    patch = [IN_PLANE_PATCH] * 3
    patch[slice_axis] = SLICE_PATCH
    pad = [(-s) % p for s, p in zip(shape, patch, strict=True)]
    before = tuple(p // 2 for p in pad)
    padded = tuple(s + p for s, p in zip(shape, pad, strict=True))
    return TokenGrid(
        shape=(int(shape[0]), int(shape[1]), int(shape[2])),
        slice_axis=slice_axis,
        patch_shape=(patch[0], patch[1], patch[2]),
        pad_before=(int(before[0]), int(before[1]), int(before[2])),
        padded_shape=(int(padded[0]), int(padded[1]), int(padded[2])),
    )
