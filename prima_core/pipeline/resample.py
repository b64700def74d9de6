"""In-plane resampling to 256 x 256, sample for sample as the released Prima pipeline does it.

The release resamples every series with SimpleITK: linear interpolation onto a grid with the same
origin and direction, in-plane spacing ``n * spacing / 256`` and the slice spacing unchanged
(``prima_reference.md`` section 2.2). Prima's weights were trained on exactly those samples, and
integer images are *truncated* after interpolation, so a value that ITK computes as
``10.999999999999998`` becomes 10. To give the same voxels we reproduce ITK's arithmetic, not
just its formula:

* continuous input index per output voxel: ITK maps each output scan line's first voxel and the
  voxel one past its end to input indices (index -> physical point -> input index, summing in
  ITK's order) and places voxel ``o`` at ``start + (o / 256) * (end - start)``. In exact
  arithmetic this is ``c = o * n / 256`` along the resampled axes (no half-pixel shift) and the
  slice index along the third; in floating point it is a few ulps off, and that matters;
* a sample is inside when every index component lies in ``[-0.5, n - 0.5)``. Outside samples get
  the *default pixel value*, which the release passes positionally where SimpleITK expects it and
  so is the image's pixel-type code (3 for unsigned 16-bit, 2 for signed 16-bit, ...), not 0;
* trilinear interpolation as ITK's linear interpolator: base index ``floor(c)`` (at least 0),
  neighbour clamped to the last sample, lerps ``a + (b - a) * d`` along i, then j, then k;
* integer types are clamped to their range and truncated toward zero; float types are kept.

Bit-for-bit agreement with SimpleITK is checked in ``tests/core/test_pipeline_resample.py`` for
axial grids (identity direction) at any spacing and for permuted grids at the usual dyadic
spacings. For other directions ITK inverts the index-to-patient matrix by SVD, a few ulps away
from exact reciprocals, so truncation can differ by one unit in a few percent of the voxels; on
the parity fixtures such noise moves the margins by ~1e-5.
"""

from __future__ import annotations

import numpy as np

TARGET_IN_PLANE = 256

# SimpleITK's pixel-type codes, which the release ends up using as the outside value.
_SITK_PIXEL_CODE = {
    np.dtype(np.int8): 0,
    np.dtype(np.uint8): 1,
    np.dtype(np.int16): 2,
    np.dtype(np.uint16): 3,
    np.dtype(np.int32): 4,
    np.dtype(np.uint32): 5,
    np.dtype(np.int64): 6,
    np.dtype(np.uint64): 7,
    np.dtype(np.float32): 8,
    np.dtype(np.float64): 9,
}


def outside_value(dtype: np.dtype) -> float:
    """The value the release writes where an output sample falls outside the input."""
    return float(_SITK_PIXEL_CODE.get(np.dtype(dtype), 0))


def _split_affine(affine: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Origin, unit direction (columns) and spacing of a voxel-to-LPS affine."""
    m = np.asarray(affine, dtype=np.float64)[:3, :3]
    origin = np.asarray(affine, dtype=np.float64)[:3, 3].copy()
    nonzero = m != 0
    if (nonzero.sum(axis=0) == 1).all() and (nonzero.sum(axis=1) == 1).all():
        spacing = np.abs(m).max(axis=0)  # exact for a signed permutation
        direction = np.sign(m)
    else:
        spacing = np.linalg.norm(m, axis=0)
        direction = m / spacing
    return origin, direction, spacing


def _inverse(direction: np.ndarray, spacing: np.ndarray) -> np.ndarray:
    """Inverse of ``direction @ diag(spacing)``; exact reciprocals for axis-aligned grids."""
    if set(np.unique(np.abs(direction))) <= {0.0, 1.0}:
        return (direction / spacing[None, :]).T * 1.0  # sign / spacing, transposed
    return np.linalg.inv(direction @ np.diag(spacing))


def _physical(origin: np.ndarray, m: np.ndarray, idx: list[np.ndarray]) -> list[np.ndarray]:
    # ITK: point[r] = origin[r]; point[r] += M[r][c] * index[c] for c = 0, 1, 2
    out = []
    for r in range(3):
        p = np.full(idx[0].shape, origin[r])
        for c in range(3):
            p = p + m[r, c] * idx[c]
        out.append(p)
    return out


def _to_index(origin: np.ndarray, inv: np.ndarray, point: list[np.ndarray]) -> list[np.ndarray]:
    # ITK: v = point - origin; index[r] = sum_c inv[r][c] * v[c], accumulated from 0
    v = [point[r] - origin[r] for r in range(3)]
    out = []
    for r in range(3):
        s = np.zeros(v[0].shape)
        for c in range(3):
            s = s + inv[r, c] * v[c]
        out.append(s)
    return out


def scanline_ends(affine: np.ndarray, shape_kji: tuple[int, int, int], *, size: int = TARGET_IN_PLANE):
    """Input indices of each output scan line's first voxel and of the voxel one past its end.

    Returns two lists ``[ci, cj, ck]`` of arrays shaped (nk, size): for output row ``j`` of slice
    ``k``, ITK's index of output voxel ``(0, j, k)`` and of ``(size, j, k)``.
    """
    nk, nj, ni = shape_kji
    origin, direction, spacing = _split_affine(affine)
    out_spacing = np.array([ni * spacing[0] / size, nj * spacing[1] / size, spacing[2]])
    m_out = direction * out_spacing[None, :]
    inv = _inverse(direction, spacing)
    k, j = np.meshgrid(np.arange(nk, dtype=np.float64), np.arange(size, dtype=np.float64), indexing="ij")
    start = _to_index(origin, inv, _physical(origin, m_out, [np.zeros_like(j), j, k]))
    end = _to_index(origin, inv, _physical(origin, m_out, [np.full_like(j, float(size)), j, k]))
    return start, end


def slice_indices(start: list[np.ndarray], end: list[np.ndarray], k: int, size: int) -> list[np.ndarray]:
    """ITK's ``start + (o / size) * (end - start)`` for each voxel of output slice ``k``: (size, size)."""
    alpha = (np.arange(size, dtype=np.float64) / float(size))[None, :]
    return [s[k][:, None] + alpha * (e[k] - s[k])[:, None] for s, e in zip(start, end, strict=True)]


def _lerp(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    return a + (b - a) * w


def _interpolate_slab(src: np.ndarray, c: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """ITK-style trilinear values and the inside mask for index arrays of one output slab."""
    sizes = (src.shape[2], src.shape[1], src.shape[0])  # along i, j, k
    inside = np.ones(c[0].shape, dtype=bool)
    lo, hi, w = [], [], []
    for axis in range(3):
        ca = c[axis]
        inside &= (ca >= -0.5) & (ca < sizes[axis] - 0.5)
        base = np.clip(np.floor(ca), 0, sizes[axis] - 1).astype(np.int64)
        lo.append(base)
        hi.append(np.minimum(base + 1, sizes[axis] - 1))
        w.append(np.maximum(ca - base, 0.0))

    def at(si: np.ndarray, sj: np.ndarray, sk: np.ndarray) -> np.ndarray:
        return src[sk, sj, si].astype(np.float64)  # ITK interpolates in double

    x00 = _lerp(at(lo[0], lo[1], lo[2]), at(hi[0], lo[1], lo[2]), w[0])
    x10 = _lerp(at(lo[0], hi[1], lo[2]), at(hi[0], hi[1], lo[2]), w[0])
    x01 = _lerp(at(lo[0], lo[1], hi[2]), at(hi[0], lo[1], hi[2]), w[0])
    x11 = _lerp(at(lo[0], hi[1], hi[2]), at(hi[0], hi[1], hi[2]), w[0])
    values = _lerp(_lerp(x00, x10, w[1]), _lerp(x01, x11, w[1]), w[2])
    return values, inside


def resample_in_plane(array: np.ndarray, affine: np.ndarray, *, size: int = TARGET_IN_PLANE) -> np.ndarray:
    """Resample the two fast axes of ``array[k, j, i]`` to ``size x size`` as the release does.

    Parameters
    ----------
    array : ndarray (nk, nj, ni)
        A volume in the project's index order (``i`` along the columns).
    affine : ndarray (4, 4)
        Its voxel-to-LPS affine; ITK's index arithmetic depends on origin and spacing.
    size : int
        Output samples along ``i`` and ``j``; the slice count ``nk`` is kept.

    Returns
    -------
    ndarray (nk, size, size), the input's dtype.
    """
    src = np.asarray(array)
    start, end = scanline_ends(affine, src.shape, size=size)
    out = np.empty((src.shape[0], size, size), dtype=np.float64)
    fill = outside_value(src.dtype)
    for k in range(src.shape[0]):  # one output slice at a time keeps temporaries small
        values, inside = _interpolate_slab(src, slice_indices(start, end, k, size))
        out[k] = np.where(inside, values, fill)
    return _cast_like(out, src.dtype)


def _cast_like(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Cast interpolated values back to the input type (integers: clamp, then truncate)."""
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return np.clip(np.trunc(values), info.min, info.max).astype(dtype)
    if dtype == np.bool_:
        return values != 0
    return values.astype(dtype)


def resampled_affine(affine: np.ndarray, shape_kji: tuple[int, int, int], *, size: int = TARGET_IN_PLANE):
    """The affine of the resampled grid: same origin and direction, in-plane steps ``n / size``."""
    nk, nj, ni = shape_kji
    scale = np.diag([ni / size, nj / size, 1.0, 1.0])
    return np.asarray(affine, dtype=np.float64) @ scale
