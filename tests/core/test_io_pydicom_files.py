"""pydicom's own test files (copied first; the originals are never touched): nothing crashes the scan.

Each file either ends up in a series that loads, or is reported with a reason, and the
compressed and big-endian twins of MR_small decode to the same pixels as the original.
"""

import os
import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_files
from pydicom.pixels import apply_rescale

from prima_core.errors import UserError
from prima_core.io import open_studies

TEST_FILES = [Path(p) for p in get_testdata_files() if Path(p).is_file()]
ROOT = Path(os.path.commonpath([str(p) for p in TEST_FILES]))

# Same image, other encodings (pydicom ships them as twins of MR_small.dcm).
MR_SMALL_TWINS = [
    "MR_small_implicit.dcm",
    "MR_small_bigendian.dcm",
    "MR_small_expb.dcm",
    "MR_small_RLE.dcm",
    "MR_small_jpeg_ls_lossless.dcm",
    "MR_small_jp2klossless.dcm",
    "MR_small_padded.dcm",
]


@pytest.fixture(scope="module")
def test_files_copy(tmp_path_factory):
    target = tmp_path_factory.mktemp("pydicom_files")
    for path in TEST_FILES:
        dest = target / path.relative_to(ROOT)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
    return target


def test_every_file_is_loaded_or_reported(test_files_copy):
    result = open_studies(test_files_copy)
    in_series = {str(f) for study in result.studies for s in study.series for f in s.files}
    reported = {s.path for s in result.skipped}
    every = {str(p) for p in test_files_copy.rglob("*") if p.is_file()}
    assert every == in_series | reported
    assert not in_series & reported
    assert all(s.reason for s in result.skipped)
    loaded = failed = 0
    for study in result.studies:
        for series in study.series:
            try:
                volume = series.load()
            except UserError as exc:  # JPEG-lossy.dcm is a deliberately undecodable file
                assert "no slice could be read" in str(exc)
                failed += 1
                continue
            assert volume.array.shape == tuple(reversed(series.shape))
            loaded += 1
    assert loaded >= 10 and failed <= 1


def _single(folder):
    [study] = open_studies(folder).studies
    [series] = study.series
    return series


@pytest.mark.parametrize("name", MR_SMALL_TWINS)
def test_mr_small_twins_decode_like_the_original(tmp_path, name):
    for n in ("MR_small.dcm", name):
        (tmp_path / n.removesuffix(".dcm")).mkdir()
        shutil.copyfile(pydicom.data.get_testdata_file(n), tmp_path / n.removesuffix(".dcm") / n)
    reference = _single(tmp_path / "MR_small").load()
    twin = _single(tmp_path / name.removesuffix(".dcm")).load()
    assert twin.array.dtype == reference.array.dtype == np.int16
    np.testing.assert_array_equal(twin.array, reference.array)
    np.testing.assert_allclose(twin.affine, reference.affine)


@pytest.mark.parametrize(
    ("name", "tolerance"),
    [
        ("JPGExtended.dcm", 0),
        ("JPEG2000.dcm", 0),
        ("693_J2KI.dcm", 0),
        ("image_dfl.dcm", 0),
        ("JPEGLSNearLossless_08.dcm", 0),
        ("JPEGLSNearLossless_16.dcm", 0),
    ],
)
def test_other_encodings_match_pydicom(tmp_path, name, tolerance):
    """Lossy files have no uncompressed twin: compare with pydicom's own decode of the same file."""
    shutil.copyfile(pydicom.data.get_testdata_file(name), tmp_path / name)
    volume = _single(tmp_path).load()
    ds = pydicom.dcmread(tmp_path / name)
    expected = apply_rescale(ds.pixel_array, ds)
    np.testing.assert_allclose(volume.array[0].astype(float), expected.astype(float), atol=tolerance)


def test_truncated_file_is_reported_before_reading_pixels(tmp_path):
    shutil.copyfile(pydicom.data.get_testdata_file("MR_truncated.dcm"), tmp_path / "MR_truncated.dcm")
    shutil.copyfile(pydicom.data.get_testdata_file("CT_small.dcm"), tmp_path / "CT_small.dcm")
    result = open_studies(tmp_path)
    assert [(Path(s.path).name, s.reason.split(":")[0]) for s in result.skipped] == [
        ("MR_truncated.dcm", "truncated DICOM file")
    ]
    assert result.studies[0].series[0].load().array.shape == (1, 128, 128)
