"""The in-plane resample gives the released pipeline's voxels, checked against SimpleITK itself."""

from __future__ import annotations

import numpy as np
import pytest

from prima_core.pipeline.resample import outside_value, resample_in_plane, resampled_affine
from tests.core.test_pipeline_support import direction_from, make_volume

AXIS_ALIGNED = {
    "axial": np.eye(3),
    "coronal": direction_from([[1, 0, 0], [0, 0, -1], [0, 1, 0]]),
    "sagittal": direction_from([[0, 1, 0], [0, 0, -1], [-1, 0, 0]]),
}


def _sitk_release_resample(volume):
    """What the release does: SimpleITK Resample onto 256 x 256, pixel-type code as default value."""
    sitk = pytest.importorskip("SimpleITK")
    img = sitk.GetImageFromArray(volume.array)
    spacing = volume.spacing
    img.SetSpacing([float(s) for s in spacing])
    img.SetOrigin([float(v) for v in volume.affine[:3, 3]])
    img.SetDirection([float(v) for v in (volume.affine[:3, :3] / spacing).ravel()])
    size, sp = img.GetSize(), img.GetSpacing()
    new_spacing = [size[0] * sp[0] / 256, size[1] * sp[1] / 256, sp[2]]
    ref = sitk.Image((256, 256, size[2]), img.GetPixelIDValue())
    ref.SetOrigin(img.GetOrigin())
    ref.SetDirection(img.GetDirection())
    ref.SetSpacing(new_spacing)
    out = sitk.Resample(img, ref, sitk.Transform(), sitk.sitkLinear, img.GetPixelIDValue())
    return sitk.GetArrayFromImage(out)


@pytest.mark.parametrize(
    ("plane", "n", "spacing", "dtype"),
    [
        ("axial", 128, 1.796875, np.uint16),  # n divides 128: the last sample falls outside
        ("axial", 192, 1.145833, np.uint16),  # non-dyadic spacing: ITK's index rounding matters
        ("axial", 200, 1.1, np.int16),
        ("axial", 160, 0.93751, np.float32),
        ("coronal", 160, 1.4375, np.uint16),
        ("sagittal", 320, 0.71875, np.int16),
        ("coronal", 256, 0.9375, np.uint8),
    ],
)
def test_matches_simpleitk_bit_for_bit(plane, n, spacing, dtype):
    volume = make_volume(
        (5, n, n),
        direction=AXIS_ALIGNED[plane],
        spacing=(spacing, spacing, 4.3),
        origin=(-109.9271, -91.92713, -35.123),
        dtype=dtype,
        seed=n,
    )
    ours = resample_in_plane(volume.array, volume.affine)
    theirs = _sitk_release_resample(volume)
    assert ours.dtype == volume.array.dtype
    assert ours.shape == theirs.shape == (5, 256, 256)
    assert np.array_equal(ours, theirs)


def _rotation(degrees: float) -> np.ndarray:
    a = np.radians(degrees)
    return np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1.0]])


@pytest.mark.parametrize(
    ("direction", "spacing"),
    [(AXIS_ALIGNED["sagittal"], 0.93751), (AXIS_ALIGNED["coronal"], 1.1), (_rotation(17.0), 1.1)],
)
def test_permuted_or_oblique_grids_are_within_one_unit(direction, spacing):
    # ITK inverts a non-identity direction matrix by SVD, a few ulps off exact reciprocals; integer
    # truncation can then differ by one unit in a few voxels (documented in the module).
    volume = make_volume((4, 200, 200), direction=direction, spacing=(spacing, spacing, 5.0), seed=3)
    diff = resample_in_plane(volume.array, volume.affine).astype(int) - _sitk_release_resample(volume)
    assert np.abs(diff).max() <= 1
    assert (diff != 0).mean() < 0.05
    floats = make_volume(
        (4, 200, 200), direction=direction, spacing=(spacing, spacing, 5.0), dtype=np.float64
    )
    assert np.allclose(
        resample_in_plane(floats.array, floats.affine), _sitk_release_resample(floats), rtol=1e-9
    )


def test_outside_samples_get_the_pixel_type_code_and_edges_clamp():
    # n = 128: output 255 reads index 127.5, which is outside; 254 reads exactly 127.
    array = np.full((1, 128, 128), 1000, dtype=np.uint16)
    out = resample_in_plane(array, np.eye(4))
    assert out[0, 254, 254] == 1000
    assert out[0, 255, 10] == out[0, 10, 255] == 3  # SimpleITK's code for unsigned 16-bit
    assert outside_value(np.dtype(np.int16)) == 2
    assert outside_value(np.dtype(np.float32)) == 8.0


def test_linear_weights_and_truncation_toward_zero():
    # n = 64: output o reads c = o / 4, so weights 0, 1/4, 1/2, 3/4 between neighbours.
    row = np.zeros(64, dtype=np.int16)
    row[1] = -9
    array = np.broadcast_to(row, (1, 64, 64)).copy()
    out = resample_in_plane(array, np.eye(4))
    # -9 * (1/4, 2/4, 3/4) = -2.25, -4.5, -6.75 -> truncated toward zero
    assert list(out[0, 0, 1:8]) == [-2, -4, -6, -9, -6, -4, -2]
    floats = resample_in_plane(array.astype(np.float32), np.eye(4))
    assert floats[0, 0, 1] == pytest.approx(-2.25)


def test_resampled_affine_keeps_origin_and_scales_in_plane_steps():
    affine = np.diag([0.5, 0.75, 3.0, 1.0])
    affine[:3, 3] = (1, 2, 3)
    out = resampled_affine(affine, (7, 192, 128))
    assert np.allclose(np.diag(out)[:3], [0.25, 0.5625, 3.0])
    assert np.allclose(out[:3, 3], (1, 2, 3))
