"""``prima info``: text and JSON summaries, and the one-line error when nothing is found."""

import json
from pathlib import Path

import pytest

from prima_core.cli import main
from tests.core.dicom_factory import make_series

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "prima_parity"
needs_fixtures = pytest.mark.skipif(not FIXTURES.exists(), reason="parity fixtures not present")


@needs_fixtures
def test_info_text_on_parity_study(capsys):
    assert main(["info", str(FIXTURES / "studies" / "study_a")]) == 0
    out = capsys.readouterr().out
    for name in ("AX_T1_SE", "COR_T2_FLAIR-COR_FLAIR-Protocol", "SAG_T2_FSE_plus_C"):
        assert name in out
    assert "1 study(ies), 3 series, 48 file(s) scanned, 0 skipped" in out
    assert "MRI BRAIN WO AND W CONTRAST" in out
    assert "sagittal" in out and "coronal" in out and "FLAIR" in out


@needs_fixtures
def test_info_json_on_parity_study(capsys):
    assert main(["info", "--json", str(FIXTURES / "studies" / "study_b")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"studies", "skipped"}
    [study] = data["studies"]
    assert study["description"] == "MRI BRAIN WO AND W CONTRAST"
    assert study["study_instance_uid"].startswith("1.2.826.0.1.3680043.8.498.")
    by_name = {s["name"]: s for s in study["series"]}
    assert set(by_name) == {"AX_FLAIR", "SAG_T1"}
    assert by_name["SAG_T1"]["shape"] == [160, 160, 16]
    assert by_name["SAG_T1"]["spacing"] == pytest.approx([1.5, 1.5, 7.0])
    assert all({"description", "shape", "spacing", "warnings"} <= set(s) for s in study["series"])
    assert data["skipped"] == []


def test_info_on_junk_folder_lists_skipped_files(tmp_path, capsys):
    make_series(tmp_path / "s", shape=(8, 8, 3), description="AX T2", protocol="AX T2")
    (tmp_path / "readme.txt").write_text("hi")
    (tmp_path / "empty.dcm").write_bytes(b"")
    assert main(["info", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "AX_T2" in out
    assert "Skipped (2):" in out
    assert f"{tmp_path / 'readme.txt'}: not a DICOM file" in out
    assert f"{tmp_path / 'empty.dcm'}: empty file" in out
    assert main(["info", "--json", str(tmp_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert sorted(s["reason"] for s in data["skipped"]) == ["empty file", "not a DICOM file"]


def test_info_with_nothing_found_is_one_line_and_exit_1(tmp_path, capsys):
    (tmp_path / "readme.txt").write_text("hi")
    assert main(["info", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"prima info: error: no images found in {tmp_path}")
    assert captured.err.count("\n") == 1
