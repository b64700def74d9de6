"""One physical point lands at one LPS coordinate, whatever the acquisition geometry.

The factory samples a bright sphere at a known LPS point for any orientation, spacing and
shear; the importer must place its peak voxel (and its intensity centroid) there.
"""

import itertools

import numpy as np
import pytest

from prima_core.io import Plane, open_studies
from prima_core.io.geometry import classify_plane
from tests.core.dicom_factory import make_series, sphere_phantom

SPHERE = np.array([12.3, -20.7, 30.1])

ACQUISITIONS = {
    "axial": {"orientation": "axial", "spacing": (1.1, 0.9, 2.0)},
    "coronal": {"orientation": "coronal", "spacing": (1.0, 1.5, 1.8)},
    "sagittal": {"orientation": "sagittal", "spacing": (0.8, 1.2, 2.2)},
    "oblique": {"orientation": "oblique", "spacing": (1.0, 1.0, 1.5)},
    "axial, gantry tilt": {"orientation": "axial", "spacing": (1.0, 1.0, 2.0), "shear": (0.0, 0.7)},
    "sagittal, descending files": {"orientation": "sagittal", "spacing": (1.0, 1.0, 1.7), "descending": True},
}


def _load(tmp_path, name, kwargs):
    # Off-centre field of view so that the sphere is not at the grid centre.
    make_series(
        tmp_path / name,
        shape=(40, 36, 24),
        center=SPHERE + np.array([3.1, -2.2, 1.7]),
        phantom=sphere_phantom(SPHERE, radius=8.0),
        **kwargs,
    )
    result = open_studies(tmp_path / name)
    return result.studies[0].series[0]


def _half_cell_diagonal(affine):
    axes = affine[:3, :3].T
    return 0.5 * max(
        np.linalg.norm(sum(s * a for s, a in zip(signs, axes, strict=True)))
        for signs in itertools.product((-1, 1), repeat=3)
    )


@pytest.mark.parametrize("name", list(ACQUISITIONS))
def test_peak_voxel_maps_to_the_sphere_centre(tmp_path, name):
    volume = _load(tmp_path, name, ACQUISITIONS[name]).load()
    k, j, i = np.unravel_index(np.argmax(volume.array), volume.array.shape)
    peak = volume.index_to_lps(np.array([i, j, k], dtype=float))
    assert np.linalg.norm(peak - SPHERE) <= _half_cell_diagonal(volume.affine) + 1e-6


def test_all_acquisitions_agree_on_the_sphere_centroid(tmp_path):
    centroids = {}
    for name, kwargs in ACQUISITIONS.items():
        volume = _load(tmp_path, name.replace(" ", "_").replace(",", ""), kwargs).load()
        weights = np.clip(volume.array.astype(float) - 300.0, 0, None)  # the bright core only
        kk, jj, ii = np.indices(volume.array.shape)
        ijk = np.stack([ii, jj, kk], axis=-1).reshape(-1, 3)
        centroid_index = (ijk * weights.reshape(-1, 1)).sum(axis=0) / weights.sum()
        centroids[name] = volume.index_to_lps(centroid_index)
    for name, centroid in centroids.items():
        assert np.linalg.norm(centroid - SPHERE) < 0.25, (name, centroid)


def test_planes_are_classified_from_the_slice_normal(tmp_path):
    planes = {}
    for name in ("axial", "coronal", "sagittal", "oblique"):
        planes[name] = _load(tmp_path, name, ACQUISITIONS[name]).plane
    assert planes == {
        "axial": Plane.AXIAL,
        "coronal": Plane.CORONAL,
        "sagittal": Plane.SAGITTAL,
        "oblique": Plane.OBLIQUE,
    }


@pytest.mark.parametrize(
    ("normal", "plane"),
    [
        ((0, 0, 1), Plane.AXIAL),
        ((0, np.sin(np.radians(20)), np.cos(np.radians(20))), Plane.AXIAL),  # AC-PC tilt is still axial
        ((0, np.sin(np.radians(30)), np.cos(np.radians(30))), Plane.OBLIQUE),
        ((-1, 0, 0), Plane.SAGITTAL),
        ((0, -1, 0), Plane.CORONAL),
    ],
)
def test_oblique_threshold(normal, plane):
    assert classify_plane(np.array(normal, dtype=float)) == plane
