"""A voxel keeps its patient position through resample, reorientation and padding."""

from __future__ import annotations

import numpy as np
import pytest

from prima_core.io.volume import Volume
from prima_core.pipeline.geometry import token_box_lps, token_box_to_volume_index, token_centers_lps
from prima_core.pipeline.preprocess import prepare_series

CORONAL = np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0.0]])  # columns: i -> L, j -> -S, k -> P
SAGITTAL = np.array([[0, 0, -1], [1, 0, 0], [0, -1, 0.0]])


def _oblique() -> np.ndarray:
    a = np.radians(20.0)
    return np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]]) @ CORONAL


def _point_volume(n: int, nk: int, direction: np.ndarray, ijk: tuple[int, int, int]) -> Volume:
    array = np.zeros((nk, n, n), dtype=np.int16)
    i, j, k = ijk
    array[k, j, i] = 3000
    affine = np.eye(4)
    affine[:3, :3] = direction * np.array([1.7, 1.3, 4.5])
    affine[:3, 3] = (-91.2, 17.0, 40.3)
    return Volume(array, affine)


def _peak(prepared) -> np.ndarray:
    padded = prepared.padded_array()
    return np.array(np.unravel_index(np.argmax(padded), padded.shape))  # (c0, c1, c2)


@pytest.mark.parametrize(
    "direction", [np.eye(3), CORONAL, SAGITTAL, _oblique()], ids=["ax", "cor", "sag", "obl"]
)
def test_exact_factor_two_maps_a_voxel_to_the_same_point(direction):
    volume = _point_volume(128, 14, direction, (37, 90, 5))  # 14 slices: the slice axis gets padded
    prepared = prepare_series(volume)
    c = _peak(prepared)
    lps = prepared.padded_affine @ np.array([c[2], c[1], c[0], 1.0])
    assert np.allclose(lps[:3], volume.index_to_lps([37, 90, 5]), atol=1e-9)
    assert sum(prepared.grid.pad_before) > 0


@pytest.mark.parametrize("direction", [np.eye(3), SAGITTAL, _oblique()], ids=["ax", "sag", "obl"])
def test_any_factor_agrees_within_half_an_output_voxel(direction):
    volume = _point_volume(200, 9, direction, (123, 58, 4))
    prepared = prepare_series(volume)
    c = _peak(prepared)
    lps = prepared.padded_affine @ np.array([c[2], c[1], c[0], 1.0])
    error = np.abs(
        np.linalg.solve(prepared.padded_affine[:3, :3], lps[:3] - volume.index_to_lps([123, 58, 4]))
    )
    assert (error <= 0.5 + 1e-9).all()  # in output voxels along each padded axis


def test_token_box_contains_its_source_voxel_and_boxes_tile():
    volume = _point_volume(128, 14, CORONAL, (37, 90, 5))
    prepared = prepare_series(volume)
    c = _peak(prepared)
    coord = c // np.array(prepared.grid.patch_shape) * np.array(prepared.grid.patch_shape)
    lo, hi = token_box_to_volume_index(prepared, coord)
    source = np.array([37, 90, 5])
    assert ((lo <= source) & (source <= hi)).all()
    # along the slice axis a token spans 4 source slices
    assert hi[2] - lo[2] == pytest.approx(4.0)
    corners = token_box_lps(prepared, coord)
    centre = token_centers_lps(prepared, coord[None])[0]
    assert np.allclose(corners.mean(axis=0), centre)


def test_padded_volume_is_a_placed_volume():
    volume = _point_volume(128, 14, SAGITTAL, (10, 20, 3))
    prepared = prepare_series(volume)
    padded = prepared.padded_volume()
    assert padded.array.shape == prepared.grid.padded_shape
    lps = padded.index_to_lps([5.0, 6.0, 7.0])
    assert np.allclose(padded.lps_to_index(lps), [5.0, 6.0, 7.0])
    to_source = prepared.padded_to_source
    assert np.allclose(volume.affine @ to_source, prepared.padded_affine)
