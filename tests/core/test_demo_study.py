"""A generated demo study: real DICOM with the right series and metadata, masks where the lesion is.

The study is read back both with pydicom directly and through ``prima_core.io.open_studies``,
the importer every user folder goes through.
"""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest
from scipy import ndimage as ndi

from prima_core.demo import generate_demo_study
from prima_core.io import open_studies

SERIES = ["AX T1", "AX T2 FSE", "AX FLAIR", "AX T1 POST", "COR T1 POST", "AX DWI B1000"]
GLIOMA = "tumor_adult_high_grade_glioma"


@pytest.fixture(scope="module")
def glioma(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "glioma"
    truth = generate_demo_study(seed=5, findings=[GLIOMA], out_dir=out, series=SERIES)
    series = {s.description: s for s in open_studies(out).studies[0].series}
    return out, truth, series


def _mask_points(study_dir: Path, entry: dict) -> np.ndarray:
    """LPS mm of every voxel of a ground-truth mask."""
    image = nib.load(str(study_dir / entry["mask"]))
    ijk = np.argwhere(np.asarray(image.dataobj) > 0)
    ras = ijk @ image.affine[:3, :3].T + image.affine[:3, 3]
    return ras * [-1.0, -1.0, 1.0]


def _mirror(truth, points: np.ndarray) -> np.ndarray:
    """Reflect patient points through the head's midsagittal plane (the template's x = 0)."""
    pose = np.array(truth.to_dict()["template_to_patient_lps"])
    inv = np.linalg.inv(pose)
    template = points @ inv[:3, :3].T + inv[:3, 3]
    template[:, 0] *= -1
    return template @ pose[:3, :3].T + pose[:3, 3]


def _sample(series, points: np.ndarray) -> np.ndarray:
    volume = series.load()
    ijk = volume.lps_to_index(points)
    return ndi.map_coordinates(volume.array.astype(np.float32), ijk[:, ::-1].T, order=1)


def test_series_and_metadata(glioma):
    out, truth, _ = glioma
    folders = sorted(p for p in out.iterdir() if p.is_dir() and p.name != "masks")
    listed = [entry["folder"] for entry in json.loads((out / "ground_truth.json").read_text())["series"]]
    assert listed == [f.name for f in folders]
    study_uids, frame_uids, sop_uids = set(), set(), set()
    for folder, description in zip(folders, SERIES, strict=True):
        files = sorted(folder.glob("*.dcm"))
        assert len(files) >= 20  # slices cover the head
        for path in (files[0], files[-1]):
            ds = pydicom.dcmread(path)
            assert ds.SeriesDescription == ds.ProtocolName == description
            assert ds.StudyDescription == "MRI BRAIN WO AND W CONTRAST"
            assert ds.PatientName == "DEMO^PHANTOM-5" and "Synthetic" in ds.ImageComments
            assert ds.Modality == "MR" and ds.BitsAllocated == 16 and ds.PixelRepresentation == 0
            assert 0.4 <= float(ds.PixelSpacing[0]) <= 1.0 and 3.0 <= float(ds.SliceThickness) <= 6.0
            assert ds.Rows in (256, 320, 384, 512) and ds.Rows == ds.Columns
            assert float(ds.WindowWidth) > 0
            study_uids.add(ds.StudyInstanceUID)
            frame_uids.add(ds.FrameOfReferenceUID)
            sop_uids.add(ds.SOPInstanceUID)
    assert len(study_uids) == len(frame_uids) == 1 and len(sop_uids) == 2 * len(SERIES)


def test_importer_sees_every_series_in_its_plane(glioma):
    _, truth, series = glioma
    assert set(series) == set(SERIES)
    assert str(series["COR T1 POST"].plane) == "coronal" and str(series["AX FLAIR"].plane) == "axial"
    assert series["AX T1 POST"].model_name == "AX_T1_POST"
    assert GLIOMA in truth.findings


def test_ground_truth_file(glioma):
    out, truth, _ = glioma
    data = json.loads((out / "ground_truth.json").read_text())
    assert data["synthetic"] is True and data["seed"] == 5
    assert {GLIOMA, "structural_edema"} <= set(data["findings"]) == set(truth.findings)
    assert "not a patient" in data["description"]
    for entry in data["lesions"]:
        assert (out / entry["mask"]).is_file() and entry["mask"].startswith("masks/")
        assert len(entry["center_lps"]) == 3


def test_mask_centroid_is_the_lesion_centre(glioma):
    out, truth, _ = glioma
    for entry in truth.lesions:
        image = nib.load(str(out / entry["mask"]))
        assert np.allclose(np.abs(np.diag(image.affine)[:3]), 1.5)
        centroid = _mask_points(out, entry).mean(axis=0)
        assert np.linalg.norm(centroid - entry["center_lps"]) < 1.5


def test_lesion_is_brighter_than_the_contralateral_brain(glioma):
    out, truth, series = glioma
    by_finding = {entry["finding"]: entry for entry in truth.lesions}
    checks = [("structural_edema", "AX FLAIR", 50), (GLIOMA, "AX T1 POST", 90), (GLIOMA, "COR T1 POST", 90)]
    for finding, description, q in checks:
        points = _mask_points(out, by_finding[finding])
        points = points[np.random.default_rng(0).permutation(len(points))[:800]]
        lesion = np.percentile(_sample(series[description], points), q)
        mirror = np.percentile(_sample(series[description], _mirror(truth, points)), q)
        assert lesion > 1.25 * mirror, (finding, description, lesion, mirror)


def test_loaded_voxel_at_lesion_centre_is_bright(glioma):
    _, truth, series = glioma
    centre = np.array([e["center_lps"] for e in truth.lesions if e["finding"] == GLIOMA][0])
    t2 = series["AX T2 FSE"]
    at_centre = _sample(t2, centre[None])[0]
    contralateral = _sample(t2, _mirror(truth, centre[None]))[0]
    assert at_centre > 1.3 * contralateral  # necrotic centre: bright on T2


def test_same_seed_same_files_other_seed_other_pixels(tmp_path):
    runs = []
    for name, seed in (("a", 21), ("b", 21), ("c", 22)):
        generate_demo_study(seed=seed, findings=[], out_dir=tmp_path / name, series=["AX FLAIR"])
        runs.append({p.relative_to(tmp_path / name): p.read_bytes() for p in (tmp_path / name).rglob("*.*")})
    assert runs[0] == runs[1]
    flair = [pydicom.dcmread(tmp_path / n / "S01_AX_FLAIR" / "IM0010.dcm").pixel_array for n in ("a", "c")]
    assert not np.array_equal(*flair)


def test_normal_study_without_contrast(tmp_path):
    truth = generate_demo_study(seed=3, findings=[], out_dir=tmp_path / "n", series=["SAG T1", "AX FLAIR"])
    assert truth.findings == [] and truth.lesions == []
    ds = pydicom.dcmread(next((tmp_path / "n" / "S01_SAG_T1").glob("*.dcm")))
    assert ds.StudyDescription == "MRI BRAIN WO CONTRAST"
    row = np.array(ds.ImageOrientationPatient[:3], float)
    assert abs(row[1]) > 0.9  # sagittal: rows run front to back
