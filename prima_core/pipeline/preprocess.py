"""From a series ``Volume`` to the padded LPS array Prima tokenizes, with its exact geometry.

Steps (``prima_reference.md`` section 2): resample the two in-plane axes to 256 x 256
(:mod:`.resample`), permute/flip to the closest LPS orientation (:mod:`.reorient`), lay the
token grid and its zero padding (:mod:`.grid`).

Geometry is carried through every step as 4x4 affines, so a token's block can be mapped back to
the series' own voxels and to patient millimetres. Index order convention, the same as
:class:`prima_core.io.volume.Volume`: an array ``x[c0, c1, c2]`` (slowest first) has its affine
applied to the column ``(c2, c1, c0, 1)``. So :attr:`PreparedSeries.lps_affine` maps
``(l, p, s, 1)`` for ``a[s, p, l]``, and :attr:`PreparedSeries.padded_affine` maps
``(c2, c1, c0, 1)`` for the padded grid ``padded[c0, c1, c2]`` in which token coordinates are
given. ``Volume(padded, padded_affine)`` is therefore a well-placed volume.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from prima_core.io.volume import Volume
from prima_core.pipeline.grid import TokenGrid, token_grid
from prima_core.pipeline.reorient import AxisMap, closest_lps, lps_index_to_source_index, reorient_array
from prima_core.pipeline.resample import TARGET_IN_PLANE, resample_in_plane, resampled_affine


@dataclass
class PreparedSeries:
    """A series made ready for tokenization.

    Attributes
    ----------
    lps : ndarray (S, P, L)
        Resampled and reoriented voxels, the source's dtype (not yet padded or scaled).
    grid : TokenGrid
        Slice axis, patch shape and padding.
    lps_affine : ndarray (4, 4)
        ``(l, p, s, 1)`` -> patient LPS mm.
    padded_affine : ndarray (4, 4)
        ``(c2, c1, c0, 1)`` in the padded grid -> patient LPS mm.
    source_affine : ndarray (4, 4)
        The source Volume's affine, ``(i, j, k, 1)`` -> LPS mm.
    source_shape_ijk : tuple
        Source grid size along (i, j, k).
    axis_map : AxisMap
        Which source axis became L, P, S, and which were flipped.
    """

    lps: np.ndarray
    grid: TokenGrid
    lps_affine: np.ndarray
    padded_affine: np.ndarray
    source_affine: np.ndarray
    source_shape_ijk: tuple[int, int, int]
    axis_map: AxisMap

    @property
    def padded_to_source(self) -> np.ndarray:
        """4x4 taking a padded-grid ``(c2, c1, c0, 1)`` to the source's continuous ``(i, j, k, 1)``."""
        return np.linalg.inv(self.source_affine) @ self.padded_affine

    def padded_array(self) -> np.ndarray:
        """The zero-padded LPS voxels (float32), as the tokenizer sees them before scaling."""
        out = np.zeros(self.grid.padded_shape, dtype=np.float32)
        b = self.grid.pad_before
        s = self.lps.shape
        out[b[0] : b[0] + s[0], b[1] : b[1] + s[1], b[2] : b[2] + s[2]] = self.lps
        return out

    def padded_volume(self) -> Volume:
        """The padded grid as a placed Volume (for overlays and checks)."""
        return Volume(self.padded_array(), self.padded_affine, {"space": "prima padded grid"})


def _shift(offset_xyz: tuple[float, float, float]) -> np.ndarray:
    m = np.eye(4)
    m[:3, 3] = offset_xyz
    return m


def prepare_series(volume: Volume, *, size: int = TARGET_IN_PLANE) -> PreparedSeries:
    """Resample, reorient and lay the token grid over one series volume."""
    source_shape = volume.shape_ijk
    resampled = resample_in_plane(volume.array, volume.affine, size=size)
    res_affine = resampled_affine(volume.affine, volume.array.shape, size=size)
    direction = res_affine[:3, :3] / np.linalg.norm(res_affine[:3, :3], axis=0)
    axis_map = closest_lps(direction)
    lps = reorient_array(resampled, axis_map)
    res_shape_ijk = (resampled.shape[2], resampled.shape[1], resampled.shape[0])
    lps_affine = res_affine @ lps_index_to_source_index(res_shape_ijk, axis_map)
    # numpy axis of a[S, P, L] that the source slice axis k became
    acquisition_axis = 2 - axis_map.source_axis.index(2)
    grid = token_grid(lps.shape, acquisition_axis=acquisition_axis)
    b = grid.pad_before
    padded_affine = lps_affine @ _shift((-b[2], -b[1], -b[0]))
    return PreparedSeries(
        lps=lps,
        grid=grid,
        lps_affine=lps_affine,
        padded_affine=padded_affine,
        source_affine=np.asarray(volume.affine, dtype=np.float64),
        source_shape_ijk=source_shape,
        axis_map=axis_map,
    )
