"""View frames, orientation labels, slice stepping and reslice maths (no display needed)."""

import numpy as np
import pytest

from prima_core.geometry import (
    ViewPlane,
    acquisition_frame,
    clamp_to_volume,
    direction_label,
    edge_labels,
    nice_length,
    plane_grid,
    radiological_frame,
    reslice_matrix,
    slice_range,
    step_along,
    voxel_value_at,
)
from prima_core.io.volume import Volume


def make_volume(shape_ijk=(20, 16, 12), spacing=(1.0, 1.0, 1.0), rotation=None, origin=(-10, -8, -6)):
    ni, nj, nk = shape_ijk
    affine = np.eye(4)
    affine[:3, :3] = (np.eye(3) if rotation is None else rotation) * np.asarray(spacing)
    affine[:3, 3] = origin
    array = np.arange(ni * nj * nk, dtype=np.float32).reshape(nk, nj, ni)
    return Volume(array, affine)


def rotation_about_z(degrees):
    t = np.radians(degrees)
    return np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])


@pytest.mark.parametrize(
    ("plane", "expected"),
    [
        (ViewPlane.AXIAL, {"left": "R", "right": "L", "top": "A", "bottom": "P"}),
        (ViewPlane.CORONAL, {"left": "R", "right": "L", "top": "S", "bottom": "I"}),
        (ViewPlane.SAGITTAL, {"left": "A", "right": "P", "top": "S", "bottom": "I"}),
    ],
)
def test_radiological_edge_labels(plane, expected):
    assert edge_labels(radiological_frame(plane, anchor=np.zeros(3))) == expected


def test_view_directions_look_from_feet_front_and_left():
    anchor = np.zeros(3)
    assert np.allclose(radiological_frame(ViewPlane.AXIAL, anchor=anchor).view_direction, [0, 0, 1])
    assert np.allclose(radiological_frame(ViewPlane.CORONAL, anchor=anchor).view_direction, [0, 1, 0])
    assert np.allclose(radiological_frame(ViewPlane.SAGITTAL, anchor=anchor).view_direction, [-1, 0, 0])


def test_direction_label_names_obliquity():
    assert direction_label([1, 0, 0]) == "L"
    assert direction_label([np.cos(0.5), -np.sin(0.5), 0]) == "LA"
    assert direction_label([0.02, 0.01, -1]) == "I"


def test_acquisition_frame_follows_an_oblique_volume():
    volume = make_volume(rotation=rotation_about_z(30))
    frame = acquisition_frame(ViewPlane.AXIAL, direction=volume.direction, anchor=volume.center_lps())
    assert np.allclose(frame.right, volume.direction[:, 0])
    labels = edge_labels(frame)
    assert labels["right"] == "LP" and labels["left"] == "RA"
    assert np.isclose(abs(frame.view_direction @ [0, 0, 1]), 1)


def test_frame_round_trip_and_plane_matrix():
    frame = radiological_frame(ViewPlane.SAGITTAL, anchor=np.array([1.0, 2.0, 3.0]))
    points = np.array([[5.0, -3.0, 7.0], [0.0, 0.0, 0.0]])
    assert np.allclose(frame.to_lps(frame.to_view(points)), points)
    matrix = frame.plane_matrix(4.0)
    assert np.isclose(np.linalg.det(matrix[:3, :3]), 1.0)
    assert np.allclose(frame.to_view(matrix[:3, 3]), [0, 0, 4.0])


def test_step_along_is_the_spacing_along_the_normal():
    volume = make_volume(spacing=(0.5, 0.7, 3.0))
    axial = radiological_frame(ViewPlane.AXIAL, anchor=volume.center_lps())
    assert step_along(volume.affine, axial.view_direction) == pytest.approx(3.0)
    assert step_along(volume.affine, [1, 0, 0]) == pytest.approx(0.5)


def test_slice_range_counts_and_snaps_to_voxel_centres():
    volume = make_volume(spacing=(1, 1, 2.5))
    frame = radiological_frame(ViewPlane.AXIAL, anchor=volume.center_lps())
    rng = slice_range(volume, frame)
    assert rng.count == 12
    assert rng.step == pytest.approx(2.5)
    snapped = rng.snap(1.0)
    assert np.isclose(((snapped - rng.first_depth) / 2.5) % 1, 0)
    assert rng.index_of(1e6) == 11 and rng.index_of(-1e6) == 0


def test_plane_grid_covers_the_volume_with_square_pixels():
    volume = make_volume(spacing=(0.5, 0.5, 2.0))
    coronal = radiological_frame(ViewPlane.CORONAL, anchor=volume.center_lps())
    grid = plane_grid(volume, coronal)
    assert grid.spacing == pytest.approx(0.5)
    assert grid.size == (20, 12 * 4 - 3)  # 11 slice gaps of 2 mm at 0.5 mm pixels, +1


def test_reslice_matrix_maps_view_mm_to_voxel_indices():
    volume = make_volume(rotation=rotation_about_z(17), spacing=(0.8, 1.1, 2.0))
    frame = radiological_frame(ViewPlane.CORONAL, anchor=volume.center_lps())
    matrix = reslice_matrix(volume.affine, frame.plane_matrix(2.5))
    uv = np.array([3.0, -4.0])
    expected = volume.lps_to_index(frame.to_lps([uv[0], uv[1], 2.5]))
    assert np.allclose((matrix @ [uv[0], uv[1], 0, 1])[:3], expected)


def test_voxel_value_and_clamp():
    volume = make_volume()
    lps = volume.index_to_lps([3, 4, 5])
    assert voxel_value_at(volume, lps) == float(volume.array[5, 4, 3])
    assert voxel_value_at(volume, lps + [1000, 0, 0]) is None
    assert np.allclose(
        clamp_to_volume(volume, volume.index_to_lps([-5, 4, 50])), volume.index_to_lps([0, 4, 11])
    )


def test_nice_length():
    assert nice_length(73) == 50
    assert nice_length(19.9) == 10
    assert nice_length(2.0) == 2
    assert nice_length(0.7) == pytest.approx(0.5)


def test_slice_position_label_names_the_patient_coordinate():
    from prima_core.geometry import slice_position_label

    axial = radiological_frame(ViewPlane.AXIAL, anchor=np.array([0.0, 0.0, 10.0]))
    assert slice_position_label(axial, 2.5) == "S 12.5 mm"
    assert slice_position_label(axial, -30.0) == "I 20.0 mm"
    sagittal = radiological_frame(ViewPlane.SAGITTAL, anchor=np.zeros(3))
    assert slice_position_label(sagittal, 4.0) == "R 4.0 mm"  # sagittal looks towards the right
