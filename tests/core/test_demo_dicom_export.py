"""The demo's DICOM writer: geometry tags round-trip the affine, files are valid MR images."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.uid import UID, ExplicitVRLittleEndian, MRImageStorage

from prima_core.demo.dicom_export import SeriesInfo, StudyInfo, slice_geometry, stable_uid, write_series
from prima_core.io import open_studies


def _oblique_affine(rng: np.random.Generator) -> np.ndarray:
    q = rng.standard_normal(4)
    w, x, y, z = q / np.linalg.norm(q)
    rot = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
    affine = np.eye(4)
    affine[:3, :3] = rot @ np.diag([0.7, 0.7, 5.5])
    affine[:3, 3] = rng.uniform(-120, 120, size=3)
    return affine


def _study(seed: int = 1) -> StudyInfo:
    return StudyInfo(
        study_uid=stable_uid("test", seed, "study"),
        frame_of_reference_uid=stable_uid("test", seed, "for"),
        patient_name="DEMO^PHANTOM-1",
        patient_id="DEMO-1",
        description="MRI BRAIN WO CONTRAST",
        study_date="20240102",
    )


def _series(study: StudyInfo) -> SeriesInfo:
    return SeriesInfo(
        series_uid=stable_uid(study.study_uid, "series", 1),
        series_number=1,
        description="AX FLAIR",
        protocol_name="AX FLAIR",
        thickness_mm=5.0,
        window=(600.0, 1200.0),
    )


@pytest.fixture
def written(tmp_path):
    rng = np.random.default_rng(3)
    affine = _oblique_affine(rng)
    pixels = rng.integers(0, 4000, size=(6, 20, 24)).astype(np.uint16)
    study = _study()
    paths = write_series(pixels, affine, folder=tmp_path / "S01", study=study, series=_series(study))
    return affine, pixels, paths


def test_geometry_tags_place_every_voxel_where_intended(written):
    affine, pixels, paths = written
    datasets = [pydicom.dcmread(p) for p in paths]
    assert len(datasets) == pixels.shape[0]
    for k, ds in enumerate(sorted(datasets, key=lambda d: int(d.InstanceNumber))):
        row = np.array(ds.ImageOrientationPatient[:3], float)
        col = np.array(ds.ImageOrientationPatient[3:], float)
        row_spacing, col_spacing = (float(v) for v in ds.PixelSpacing)
        origin = np.array(ds.ImagePositionPatient, float)
        for i, j in ((0, 0), (23, 0), (0, 19), (11, 7)):
            from_tags = origin + i * col_spacing * row + j * row_spacing * col
            intended = affine[:3, :3] @ [i, j, k] + affine[:3, 3]
            np.testing.assert_allclose(from_tags, intended, atol=1e-3)
        np.testing.assert_array_equal(ds.pixel_array, pixels[k])
        assert float(ds.SpacingBetweenSlices) == pytest.approx(5.5, abs=1e-4)
        assert float(ds.SliceThickness) == 5.0


def test_files_are_plain_mr_images_with_stable_uids(written, tmp_path):
    affine, pixels, paths = written
    ds = pydicom.dcmread(paths[0])
    assert ds.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert ds.SOPClassUID == MRImageStorage == ds.file_meta.MediaStorageSOPClassUID
    assert ds.SOPInstanceUID == ds.file_meta.MediaStorageSOPInstanceUID
    assert (ds.Modality, ds.BitsAllocated, ds.PixelRepresentation) == ("MR", 16, 0)
    assert (float(ds.WindowCenter), float(ds.WindowWidth)) == (600.0, 1200.0)
    uids = {pydicom.dcmread(p).SOPInstanceUID for p in paths}
    assert len(uids) == len(paths) and all(UID(u).is_valid for u in uids)
    study = _study()
    again = write_series(pixels, affine, folder=tmp_path / "again", study=study, series=_series(study))
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in paths]


def test_files_are_exactly_what_pydicom_writes(written, tmp_path):
    """The pre-encoded fast path writes the bytes pydicom's own ``save_as`` writes."""
    _, _, paths = written
    for path in paths[:2]:
        ds = pydicom.dcmread(path)
        again = tmp_path / "again.dcm"
        ds.save_as(again, enforce_file_format=True, implicit_vr=False, little_endian=True)
        assert again.read_bytes() == path.read_bytes()


def test_importer_recovers_the_affine(written, tmp_path):
    affine, pixels, _ = written
    volume = open_studies(tmp_path / "S01").studies[0].series[0].load()
    np.testing.assert_allclose(volume.affine, affine, atol=1e-3)
    np.testing.assert_array_equal(volume.array, pixels)


def test_slice_geometry_and_uids():
    affine = np.diag([0.5, 0.8, 4.0, 1.0])
    iop, row_spacing, col_spacing, between = slice_geometry(affine)
    assert iop == [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    assert (row_spacing, col_spacing, between) == (0.8, 0.5, 4.0)
    assert stable_uid("a", 1) == stable_uid("a", 1) != stable_uid("a", 2)
    assert stable_uid("a1") != stable_uid("a", 1)
    assert UID(stable_uid("x")).is_valid
