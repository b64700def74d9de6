"""The viewer's built-in demo study and the ``prima demo-study`` command."""

from __future__ import annotations

import json

import pydicom
import pytest

from prima_core.cli import main
from prima_core.demo import ensure_demo_study
from prima_core.demo.showcase import FOLDER_NAME, MARKER


@pytest.fixture(scope="module")
def showcase(tmp_path_factory):
    base = tmp_path_factory.mktemp("cache")
    return base, ensure_demo_study(base)


def test_showcase_is_a_glioma_with_five_series(showcase):
    base, folder = showcase
    assert folder == base / FOLDER_NAME and (folder / MARKER).is_file()
    truth = json.loads((folder / "ground_truth.json").read_text())
    assert {"tumor_adult_high_grade_glioma", "structural_edema", "structural_mass_effect"} <= set(
        truth["findings"]
    )
    descriptions = sorted(pydicom.dcmread(next(d.glob("*.dcm"))).SeriesDescription for d in folder.glob("S*"))
    assert descriptions == sorted(["AX T1", "AX T2 FSE", "AX FLAIR", "AX T1 POST", "AX DWI B1000"])
    assert not list(base.glob(".*partial*"))


def test_second_call_reuses_the_study(showcase):
    base, folder = showcase
    stamp = (folder / "ground_truth.json").stat().st_mtime_ns
    assert ensure_demo_study(base) == folder
    assert (folder / "ground_truth.json").stat().st_mtime_ns == stamp


def test_incomplete_study_is_made_again(showcase, tmp_path):
    _, folder = showcase
    broken = tmp_path / FOLDER_NAME
    broken.mkdir()
    (broken / "leftover.txt").write_text("half-written")
    made = ensure_demo_study(tmp_path)
    assert made == broken and (made / MARKER).is_file() and not (made / "leftover.txt").exists()
    assert (made / "ground_truth.json").read_bytes() == (folder / "ground_truth.json").read_bytes()


def test_default_location_follows_the_cache_variable(monkeypatch, tmp_path, showcase):
    monkeypatch.setenv("PRIMA_VIEWER_CACHE_DIR", str(showcase[0]))
    assert ensure_demo_study() == showcase[1]


@pytest.mark.slow  # building the full ``prima`` parser imports torch
def test_cli_writes_a_study_and_refuses_unknown_findings(tmp_path, capsys):
    out = tmp_path / "study"
    assert main(["demo-study", "--seed", "4", "--normal", "--series", "AX FLAIR", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "AX FLAIR" in printed and "none (normal)" in printed and (out / "ground_truth.json").is_file()
    assert main(["demo-study", "--seed", "4", "--finding", "glioma", "--out", str(tmp_path / "x")]) == 1
    error = capsys.readouterr().err
    assert "unknown finding glioma" in error and "tumor_adult_meningioma" in error
    assert main(["demo-study", "--seed", "4", "--normal", "--out", str(out)]) == 1  # not empty: nothing lost
    assert "not empty" in capsys.readouterr().err
