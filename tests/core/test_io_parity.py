"""The parity studies load, with the series names the released pipeline used, and match SimpleITK."""

import json
from pathlib import Path

import numpy as np
import pytest

from prima_core.io import open_studies

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "prima_parity"
STUDIES = ["study_a", "study_b"]

pytestmark = pytest.mark.skipif(not FIXTURES.exists(), reason="parity fixtures not present")


@pytest.mark.parametrize("study", STUDIES)
def test_parity_study_series_names(study):
    expected = json.loads((FIXTURES / f"expected_{study}.json").read_text())["_intermediate"]["series_names"]
    result = open_studies(FIXTURES / "studies" / study)
    assert result.skipped == []
    [found] = result.studies
    assert sorted(s.model_name for s in found.series) == sorted(expected)
    assert found.description == "MRI BRAIN WO AND W CONTRAST"
    for series in found.series:
        volume = series.load()
        assert volume.array.dtype == np.uint16  # slope 1 / intercept 0: the stored integer type is kept
        assert volume.array.shape == tuple(reversed(series.shape))
        assert series.warnings == []


def _sitk_volume(folder):
    sitk = pytest.importorskip("SimpleITK")
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
    image = reader.Execute()
    direction = np.array(image.GetDirection()).reshape(3, 3)
    affine = np.eye(4)
    affine[:3, :3] = direction * np.array(image.GetSpacing())
    affine[:3, 3] = image.GetOrigin()
    return sitk.GetArrayFromImage(image), affine


@pytest.mark.parametrize("study", STUDIES)
def test_parity_volumes_equal_simpleitk(study):
    """Same voxels, same dtype and same voxel-to-LPS affine as ITK/GDCM reading the same files."""
    for series in open_studies(FIXTURES / "studies" / study).studies[0].series:
        volume = series.load()
        array, affine = _sitk_volume(series.files[0].parent)
        assert volume.array.dtype == array.dtype
        np.testing.assert_array_equal(volume.array, array)
        np.testing.assert_allclose(volume.affine, affine, atol=1e-4)
