"""Reorientation to LPS picks the same axes and flips as SimpleITK's DICOMOrient (the release)."""

from __future__ import annotations

import numpy as np
import pytest

from prima_core.pipeline.reorient import closest_lps, lps_index_to_source_index, reorient_array


def _rotation(axis: int, degrees: float) -> np.ndarray:
    a = np.radians(degrees)
    c, s = np.cos(a), np.sin(a)
    i, j = [x for x in range(3) if x != axis]
    r = np.eye(3)
    r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
    return r


DIRECTIONS = {
    "axial": np.eye(3),
    "coronal": np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0.0]]),
    "sagittal": np.array([[0, 0, -1], [1, 0, 0], [0, -1, 0.0]]),
    "flipped axial": np.diag([-1.0, -1.0, 1.0]),
    "oblique 30/35": _rotation(1, 35) @ _rotation(0, 30),
    "oblique coronal": _rotation(2, 40) @ np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0.0]]),
    "45 degree tie": _rotation(2, 45),
}


@pytest.mark.parametrize("name", list(DIRECTIONS))
def test_matches_simpleitk_dicom_orient(name):
    sitk = pytest.importorskip("SimpleITK")
    direction = DIRECTIONS[name]
    spacing = np.array([0.9, 1.1, 4.0])
    origin = np.array([-80.5, 33.25, 12.0])
    array = np.random.default_rng(0).integers(0, 1000, size=(6, 7, 8)).astype(np.int16)  # (k, j, i)
    img = sitk.GetImageFromArray(array)
    img.SetSpacing(spacing.tolist())
    img.SetOrigin(origin.tolist())
    img.SetDirection(direction.ravel().tolist())
    oriented = sitk.DICOMOrient(img, "LPS")

    axis_map = closest_lps(direction)
    ours = reorient_array(array, axis_map)
    assert np.array_equal(ours, sitk.GetArrayFromImage(oriented))

    affine = np.eye(4)
    affine[:3, :3] = direction * spacing
    affine[:3, 3] = origin
    lps_affine = affine @ lps_index_to_source_index((8, 7, 6), axis_map)
    expected = np.array(oriented.GetDirection()).reshape(3, 3) * np.array(oriented.GetSpacing())
    assert np.allclose(lps_affine[:3, :3], expected, atol=1e-12)
    assert np.allclose(lps_affine[:3, 3], oriented.GetOrigin(), atol=1e-9)


def test_lps_axes_point_to_left_posterior_superior():
    direction = DIRECTIONS["oblique coronal"]
    axis_map = closest_lps(direction)
    for p in range(3):
        column = direction[:, axis_map.source_axis[p]] * (-1 if axis_map.flipped[p] else 1)
        assert np.argmax(np.abs(column)) == p or abs(column[p]) > 0.5
        assert column[p] > 0
