"""Series written by the factory come back with the right voxels, order, geometry and splits."""

import numpy as np
import pydicom
import pytest
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    RLELossless,
)

from prima_core.io import Plane, SequenceType, open_studies
from tests.core.dicom_factory import make_series


def _only_series(path):
    result = open_studies(path)
    assert len(result.studies) == 1 and len(result.studies[0].series) == 1, result.to_dict()
    return result.studies[0].series[0]


def test_plain_axial_series_round_trips(tmp_path):
    truth = make_series(tmp_path / "s")
    series = _only_series(tmp_path)
    volume = series.load()
    assert volume.array.dtype == np.uint16
    np.testing.assert_array_equal(volume.array, truth.array)
    np.testing.assert_allclose(volume.affine, truth.affine, atol=1e-6)
    assert series.shape == (24, 20, 8)
    assert series.spacing == pytest.approx((1.0, 1.2, 2.5))
    assert series.plane == Plane.AXIAL
    assert series.sequence == SequenceType.T1
    assert series.model_name == "AX_T1"
    assert series.window == (500.0, 1000.0)
    assert series.warnings == []


@pytest.mark.parametrize("order", ["shuffled", "descending"])
def test_slices_sorted_by_position_not_name_or_instance_number(tmp_path, order):
    truth = make_series(tmp_path / "s", shuffled_names=order == "shuffled", descending=order == "descending")
    volume = _only_series(tmp_path).load()
    np.testing.assert_array_equal(volume.array, truth.array)
    np.testing.assert_allclose(volume.affine, truth.affine, atol=1e-6)


def test_missing_slice_warns_and_still_loads(tmp_path):
    truth = make_series(tmp_path / "s", shape=(16, 16, 10), missing=[4])
    series = _only_series(tmp_path)
    assert any("missing slice" in w for w in series.warnings)
    volume = series.load()
    assert volume.array.shape == (9, 16, 16)
    np.testing.assert_array_equal(volume.array, truth.array)
    assert volume.spacing[2] == pytest.approx(2.5)  # the median step, not (last - first) / (n - 1)


def test_uneven_spacing_warns(tmp_path):
    truth = make_series(tmp_path / "s", shape=(8, 8, 6))
    ds = pydicom.dcmread(truth.paths[-1])
    ds.ImagePositionPatient = [float(v) for v in ds.ImagePositionPatient[:2]] + [
        ds.ImagePositionPatient[2] + 0.6
    ]
    ds.save_as(truth.paths[-1])
    series = _only_series(tmp_path)
    assert any("uneven slice spacing" in w for w in series.warnings)


def test_multi_echo_series_splits_into_one_stack_per_echo(tmp_path):
    truth = make_series(tmp_path / "s", echoes=3, description="AX T2 ME", protocol="AX T2 ME")
    result = open_studies(tmp_path)
    series = result.studies[0].series
    assert len(series) == 3
    assert {s.model_name for s in series} == {"AX_T2_ME"}  # the model name is kept for each part
    labels = [s.metadata["split"]["label"] for s in series]
    assert labels == ["echo 1, TE 10 ms", "echo 2, TE 20 ms", "echo 3, TE 30 ms"]
    for s, expected in zip(series, truth.extra["volumes"], strict=True):
        np.testing.assert_array_equal(s.load().array, expected)


def test_signed_data_keeps_int16(tmp_path):
    truth = make_series(tmp_path / "s", signed=True)
    volume = _only_series(tmp_path).load()
    assert volume.array.dtype == np.int16
    assert volume.array.min() < 0
    np.testing.assert_array_equal(volume.array, truth.array)


def test_rescale_gives_float32(tmp_path):
    truth = make_series(tmp_path / "s", slope=2.0, intercept=-10.0)
    volume = _only_series(tmp_path).load()
    assert volume.array.dtype == np.float32
    np.testing.assert_allclose(volume.array, truth.array * 2.0 - 10.0)


def test_monochrome1_is_inverted(tmp_path):
    truth = make_series(tmp_path / "s", photometric="MONOCHROME1", bits_stored=12)
    series = _only_series(tmp_path)
    volume = series.load()
    np.testing.assert_array_equal(volume.array, 4095 - truth.array.astype(np.int32))
    assert series.window == (4095 - 500.0, 1000.0)


def test_unused_high_bits_are_masked(tmp_path):
    truth = make_series(tmp_path / "s", shape=(8, 8, 3), bits_stored=12)
    ds = pydicom.dcmread(truth.paths[0])
    arr = ds.pixel_array.copy()
    raw = np.frombuffer(ds.PixelData, dtype="<u2").copy() | 0xF000  # garbage in the unused bits
    ds.PixelData = raw.tobytes()
    ds.save_as(truth.paths[0])
    volume = _only_series(tmp_path).load()
    np.testing.assert_array_equal(volume.array[0], arr)


@pytest.mark.parametrize("echoes", [1, 2])
def test_enhanced_multiframe(tmp_path, echoes):
    truth = make_series(
        tmp_path / "s", enhanced=True, echoes=echoes, orientation="coronal", shuffled_names=True
    )
    result = open_studies(tmp_path)
    series = result.studies[0].series
    assert len(series) == echoes
    assert all(s.plane == Plane.CORONAL for s in series)
    for s, expected in zip(series, truth.extra["volumes"], strict=True):
        volume = s.load()
        np.testing.assert_array_equal(volume.array, expected)
        np.testing.assert_allclose(volume.affine, truth.affine, atol=1e-6)


@pytest.mark.parametrize(
    ("syntax", "shape"),
    [
        (ImplicitVRLittleEndian, (24, 20, 4)),
        (ExplicitVRBigEndian, (24, 20, 4)),
        (DeflatedExplicitVRLittleEndian, (24, 20, 4)),
        (RLELossless, (24, 20, 4)),
        (JPEG2000Lossless, (32, 32, 4)),  # OpenJPEG needs at least 32 pixels a side with its defaults
    ],
)
@pytest.mark.parametrize("enhanced", [False, True])
def test_transfer_syntaxes_decode_to_the_written_pixels(tmp_path, syntax, shape, enhanced):
    truth = make_series(tmp_path / "s", transfer_syntax=syntax, shape=shape, enhanced=enhanced, signed=True)
    series = _only_series(tmp_path)
    volume = series.load()
    assert series.metadata["transfer_syntax"] == syntax
    np.testing.assert_array_equal(volume.array, truth.array)
    assert volume.array.dtype == np.int16


def test_two_series_and_two_studies_are_grouped(tmp_path):
    a = make_series(tmp_path / "a", description="AX T1", protocol="AX T1", series_number=1)
    make_series(
        tmp_path / "b", description="SAG T2", protocol="SAG T2", study_uid=a.study_uid, series_number=2
    )
    make_series(tmp_path / "c", description="COR FLAIR", protocol=None)
    result = open_studies(tmp_path)
    names = [[s.model_name for s in study.series] for study in result.studies]
    assert sorted(names) == sorted([["AX_T1", "SAG_T2"], ["COR_FLAIR"]])


def test_localizer_kept_out_of_volumes(tmp_path):
    study = make_series(tmp_path / "vol", shape=(8, 8, 10)).study_uid
    loc_type = ("ORIGINAL", "PRIMARY", "LOCALIZER")
    make_series(tmp_path / "loc", shape=(8, 8, 3), image_type=loc_type, series_number=9, study_uid=study)
    uid = "1.2.826.0.1.3680043.8.498.777"
    for n, plane in enumerate(("axial", "coronal", "sagittal")):
        make_series(tmp_path / f"tri{n}", orientation=plane, shape=(8, 8, 1), series_uid=uid, study_uid=study)
    result = open_studies(tmp_path)
    assert [s.shape[2] for study in result.studies for s in study.series] == [10]
    reasons = [s.reason for s in result.skipped]
    assert reasons.count("localizer/scout image: not part of a volume") == 6


def test_repeated_positions_split_into_repetitions(tmp_path):
    uid = "1.2.826.0.1.3680043.8.498.778"
    first = make_series(
        tmp_path / "r1", shape=(8, 8, 5), series_uid=uid, extra_tags={"AcquisitionTime": "101010"}
    )
    make_series(
        tmp_path / "r2",
        shape=(8, 8, 5),
        series_uid=uid,
        study_uid=first.study_uid,
        extra_tags={"AcquisitionTime": "101510"},
    )
    series = open_studies(tmp_path).studies
    parts = [s for study in series for s in study.series]
    assert len(parts) == 2
    assert [p.metadata["split"]["label"] for p in parts] == ["repetition 1", "repetition 2"]


@pytest.mark.parametrize("signed", [False, True])
def test_8_bit_data_keeps_its_type(tmp_path, signed):
    truth = make_series(tmp_path / "s", bits_allocated=8, bits_stored=8, signed=signed)
    volume = _only_series(tmp_path).load()
    assert volume.array.dtype == (np.int8 if signed else np.uint8)
    np.testing.assert_array_equal(volume.array, truth.array)


def test_signed_monochrome1_is_inverted(tmp_path):
    truth = make_series(tmp_path / "s", photometric="MONOCHROME1", signed=True)
    volume = _only_series(tmp_path).load()
    np.testing.assert_array_equal(volume.array, -1 - truth.array.astype(np.int32))


def test_slice_spacing_comes_from_positions_not_thickness(tmp_path):
    make_series(tmp_path / "s", spacing=(1.0, 1.0, 1.5), slice_thickness=3.0)
    series = _only_series(tmp_path)
    assert series.spacing[2] == pytest.approx(1.5)
    assert series.load().spacing[2] == pytest.approx(1.5)


def _split_parts(tmp_path, variants):
    """Write one DICOM series in several parts (same UIDs) that differ as ``variants`` say."""
    series_uid, study_uid = "1.2.826.0.1.3680043.8.498.901", "1.2.826.0.1.3680043.8.498.900"
    for n, kwargs in enumerate(variants):
        make_series(tmp_path / f"part{n}", series_uid=series_uid, study_uid=study_uid, **kwargs)
    [study] = open_studies(tmp_path).studies
    return study.series


def _set(**tags):
    def edit(ds, _n):
        for key, value in tags.items():
            setattr(ds, key, value)

    return edit


def _siemens_b(value):
    def edit(ds, _n):
        block = ds.private_block(0x0019, "SIEMENS MR HEADER", create=True)
        block.add_new(0x0C, "IS", str(value))

    return edit


@pytest.mark.parametrize(
    ("variants", "labels"),
    [
        ([{"edit": _set(TemporalPositionIdentifier=t)} for t in (1, 2)], ["time point 1", "time point 2"]),
        ([{"edit": _set(DiffusionBValue=b)} for b in (0.0, 1000.0)], ["b=0", "b=1000"]),
        ([{"edit": _siemens_b(b)} for b in (0, 1000)], ["b=0", "b=1000"]),
        (
            [
                {"edit": _set(DiffusionBValue=0.0)},
                {"edit": _set(DiffusionBValue=1000.0, DiffusionGradientOrientation=[1.0, 0.0, 0.0])},
                {"edit": _set(DiffusionBValue=1000.0, DiffusionGradientOrientation=[0.0, 0.6, 0.8])},
            ],
            ["b=0", "b=1000, direction (1, 0, 0)", "b=1000, direction (0, 0.6, 0.8)"],
        ),
        ([{"shape": (24, 20, 8)}, {"shape": (16, 16, 8)}], ["matrix 16x16", "matrix 24x20"]),
        ([{"orientation": "axial"}, {"orientation": "coronal"}], ["orientation 1", "orientation 2"]),
    ],
    ids=["temporal", "b-value", "siemens-private-b-value", "b-value-and-direction", "matrix", "orientation"],
)
def test_one_dicom_series_splits_into_volumes(tmp_path, variants, labels):
    parts = _split_parts(tmp_path, variants)
    assert sorted(p.metadata["split"]["label"] for p in parts) == sorted(labels)
    assert {p.model_name for p in parts} == {"AX_T1"}
    for part in parts:
        assert part.load().array.shape == tuple(reversed(part.shape))
        assert part.metadata["split"]["part"].endswith(f"of {len(labels)}")
