"""Every kind of input (folder, DICOMDIR, zip, NIfTI) and every kind of bad input."""

import gc
import hashlib
import os
import shutil
import stat
import zipfile

import nibabel as nib
import numpy as np
import pydicom
import pytest
from pydicom.fileset import FileSet

from prima_core.errors import Cancelled, NoImagesError, UserError
from prima_core.io import open_studies
from prima_core.progress import CancelToken
from tests.core.dicom_factory import make_series

DICOMDIR_TAGS = {"StudyTime": "101010", "StudyID": "1"}


def _write_junk(folder):
    """A text file, an empty file, a PNG, a truncated DICOM, a DICOM without pixels, an absurd header."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes.txt").write_text("not an image\n")
    (folder / "empty.dcm").write_bytes(b"")
    (folder / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    donor = make_series(folder / "donor", shape=(16, 16, 3), description="DONOR")
    data = donor.paths[0].read_bytes()
    (folder / "truncated_pixels.dcm").write_bytes(data[: len(data) - 100])
    (folder / "truncated_header.dcm").write_bytes(data[:300])
    ds = pydicom.dcmread(donor.paths[1])
    del ds.PixelData
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid()
    ds.save_as(folder / "no_pixels.dcm")
    ds = pydicom.dcmread(donor.paths[2])
    ds.Rows = ds.Columns = 65535
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid()
    ds.save_as(folder / "absurd_size.dcm")
    shutil.rmtree(folder / "donor")


def _reasons(result):
    return {os.path.basename(s.path): s.reason for s in result.skipped}


def test_junk_mixed_folder_reports_each_file_and_loads_the_series(tmp_path):
    truth = make_series(tmp_path / "study" / "series", shape=(16, 16, 6))
    _write_junk(tmp_path / "study" / "junk")
    result = open_studies(tmp_path / "study")
    reasons = _reasons(result)
    assert reasons["notes.txt"] == "not a DICOM file"
    assert reasons["picture.png"] == "not a DICOM file"
    assert reasons["empty.dcm"] == "empty file"
    assert reasons["truncated_pixels.dcm"].startswith("truncated DICOM file: pixel data needs")
    assert "truncated" in reasons["truncated_header.dcm"] or "unreadable" in reasons["truncated_header.dcm"]
    assert reasons["no_pixels.dcm"] == "no pixel data (MR Image Storage)"
    assert reasons["absurd_size.dcm"].startswith("image too large: 65535 x 65535")
    assert result.files_scanned == 6 + 7
    [series] = result.studies[0].series
    np.testing.assert_array_equal(series.load().array, truth.array)


@pytest.mark.parametrize("content", ["empty", "junk"])
def test_nothing_usable_raises_no_images(tmp_path, content):
    if content == "junk":
        _write_junk(tmp_path)
    with pytest.raises(NoImagesError, match=r"^no images found in "):
        open_studies(tmp_path)


def test_missing_path_raises_no_images(tmp_path):
    with pytest.raises(NoImagesError):
        open_studies(tmp_path / "nowhere")


def _digest(folder):
    return {
        p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_inputs_are_opened_read_only_and_never_changed(tmp_path):
    make_series(tmp_path / "in" / "s", shape=(16, 16, 4))
    _write_junk(tmp_path / "in" / "junk")
    before = _digest(tmp_path / "in")
    paths = [p for p in (tmp_path / "in").rglob("*")]
    for p in sorted(paths, key=lambda p: -len(p.parts)):
        p.chmod(stat.S_IREAD | (stat.S_IEXEC if p.is_dir() else 0))
    (tmp_path / "in").chmod(stat.S_IREAD | stat.S_IEXEC)
    try:
        result = open_studies(tmp_path / "in")
        result.studies[0].series[0].load()
    finally:
        for p in [tmp_path / "in", *paths]:
            p.chmod(stat.S_IRWXU)
    assert _digest(tmp_path / "in") == before


def test_pixel_data_truncated_after_the_scan_zero_fills_that_slice(tmp_path):
    truth = make_series(tmp_path / "s", shape=(16, 16, 5))
    series = open_studies(tmp_path).studies[0].series[0]
    data = truth.paths[2].read_bytes()
    truth.paths[2].write_bytes(data[:-200])
    volume = series.load()
    assert any("slice 3 from" in w and "file ends inside the pixel data" in w for w in series.warnings)
    np.testing.assert_array_equal(volume.array[2], 0)
    np.testing.assert_array_equal(volume.array[[0, 1, 3, 4]], truth.array[[0, 1, 3, 4]])


def test_series_with_no_readable_slice_raises_user_error(tmp_path):
    shutil.copy(pydicom.data.get_testdata_file("JPEG-lossy.dcm"), tmp_path / "bad_jpeg.dcm")
    series = open_studies(tmp_path).studies[0].series[0]
    with pytest.raises(UserError, match="no slice could be read") as info:
        series.load()
    assert "\n" not in str(info.value)


def test_dicomdir_file_and_folder_holding_one(tmp_path):
    truth = make_series(tmp_path / "src", extra_tags=DICOMDIR_TAGS)
    fileset = FileSet()
    for path in truth.paths:
        fileset.add(path)
    fileset.write(tmp_path / "cd")
    for target in (tmp_path / "cd", tmp_path / "cd" / "DICOMDIR"):
        result = open_studies(target)
        np.testing.assert_array_equal(result.studies[0].series[0].load().array, truth.array)
        assert result.skipped == []
    victim = next((tmp_path / "cd").rglob("IM000003"))
    victim.unlink()
    result = open_studies(tmp_path / "cd" / "DICOMDIR")
    assert [s.reason for s in result.skipped] == ["listed in the DICOMDIR but missing"]
    assert result.studies[0].series[0].shape[2] == 7


def test_zip_is_read_without_touching_the_users_folder(tmp_path):
    truth = make_series(tmp_path / "src" / "series")
    (tmp_path / "src" / "readme.txt").write_text("hello")
    archive = tmp_path / "study.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted((tmp_path / "src").rglob("*")):
            zf.write(path, path.relative_to(tmp_path / "src").as_posix())
    before = sorted(p.name for p in tmp_path.iterdir())
    result = open_studies(archive)
    series = result.studies[0].series[0]
    np.testing.assert_array_equal(series.load().array, truth.array)
    assert [(s.path, s.reason) for s in result.skipped] == [(f"{archive}/readme.txt", "not a DICOM file")]
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    unpacked = series.files[0].parent
    assert unpacked.exists() and tmp_path not in unpacked.parents
    del result, series
    gc.collect()
    assert not unpacked.exists()  # the private copy goes away with the last series


def test_nifti_ras_to_lps(tmp_path):
    data = np.zeros((20, 24, 10), dtype=np.int16)
    data[3, 17, 6] = 900
    ras_affine = np.array(
        [[-1.5, 0.0, 0.0, 40.0], [0.0, 1.2, 0.3, -60.0], [0.0, -0.2, 3.0, -20.0], [0, 0, 0, 1.0]]
    )
    for name in ("brain.nii", "brain.nii.gz"):
        nib.save(nib.Nifti1Image(data, ras_affine), tmp_path / name)
        result = open_studies(tmp_path / name)
        [series] = result.studies[0].series
        assert series.shape == (20, 24, 10)
        assert series.model_name == "brain"
        volume = series.load()
        assert volume.array.shape == (10, 24, 20) and volume.array.dtype == np.int16
        k, j, i = np.unravel_index(np.argmax(volume.array), volume.array.shape)
        assert (i, j, k) == (3, 17, 6)
        ras = ras_affine @ np.array([3, 17, 6, 1.0])
        np.testing.assert_allclose(volume.index_to_lps([i, j, k]), [-ras[0], -ras[1], ras[2]])


def test_nifti_4d_gives_one_series_per_volume(tmp_path):
    data = np.arange(4 * 5 * 6 * 3, dtype=np.float32).reshape(4, 5, 6, 3)
    nib.save(nib.Nifti1Image(data, np.eye(4)), tmp_path / "dwi.nii.gz")
    series = open_studies(tmp_path / "dwi.nii.gz").studies[0].series
    assert len(series) == 3
    np.testing.assert_array_equal(series[2].load().array, data[..., 2].transpose(2, 1, 0))


def test_progress_and_cancel(tmp_path):
    make_series(tmp_path / "s", shape=(8, 8, 4))
    events = []
    open_studies(tmp_path, progress=events.append)
    assert events and events[-1].fraction == 1.0 and all(e.stage == "import" for e in events)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        open_studies(tmp_path, cancel=token)


def test_duplicate_instances_are_reported_once(tmp_path):
    truth = make_series(tmp_path / "a", shape=(8, 8, 4))
    shutil.copytree(tmp_path / "a", tmp_path / "copy")
    result = open_studies(tmp_path)
    assert result.studies[0].series[0].shape[2] == 4
    assert len(result.skipped) == 4 and all("duplicate of" in s.reason for s in result.skipped)
    np.testing.assert_array_equal(result.studies[0].series[0].load().array, truth.array)


def test_series_over_the_memory_cap_is_refused_before_loading(tmp_path, monkeypatch):
    import prima_core.io.assemble as assemble

    make_series(tmp_path / "big", shape=(24, 20, 16))  # 15,360 bytes in all, 960 per file
    monkeypatch.setattr(assemble, "MAX_IMAGE_BYTES", 10_000)
    with pytest.raises(NoImagesError) as info:
        open_studies(tmp_path)
    assert "16 series too large" in str(info.value)


def test_folder_with_a_stale_dicomdir_is_walked(tmp_path):
    truth = make_series(tmp_path / "src", extra_tags=DICOMDIR_TAGS)
    fileset = FileSet()
    for path in truth.paths:
        fileset.add(path)
    fileset.write(tmp_path / "cd")
    shutil.rmtree(tmp_path / "cd" / "PT000000")
    shutil.copytree(tmp_path / "src", tmp_path / "cd" / "images")
    result = open_studies(tmp_path / "cd")
    np.testing.assert_array_equal(result.studies[0].series[0].load().array, truth.array)
