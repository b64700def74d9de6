"""Exports (results JSON, PDF report, view screenshot), weight import, and ``main.py`` automation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtGui import QImage

from app.analysis import exports
from app.main import main
from prima_core import RESEARCH_CAVEAT
from prima_core.analysis.settings import AnalysisSettings
from prima_core.model_registry import list_models
from tests.app.test_analysis_support import (
    STUDY_A,
    analyze_and_wait,
    bundle_dir_fixture,  # noqa: F401 - the bundle_dir fixture
    shared_analyzer_fixture,  # noqa: F401 - the shared_analyzer fixture
)
from tests.app.test_main_cli import image_array

pytestmark = pytest.mark.gui


def test_exports_write_valid_files(qtbot, window, bundle_dir, shared_analyzer, tmp_path):
    analyze_and_wait(qtbot, window, bundle_dir, shared_analyzer)
    feature = window.analysis
    data = json.loads(exports.write_results_json(feature, tmp_path / "r.json").read_text())
    assert data["caveats"] == [RESEARCH_CAVEAT] and data["prediction"]["caveat"] == RESEARCH_CAVEAT
    assert (
        len(data["differential"]) == 52
        and data["explanation"]["target"]["name"] == data["differential"][0]["name"]
    )
    assert data["prediction"]["diagnosis"] == feature.controller.result.result["diagnosis"]
    pdf = exports.write_report_pdf(feature, tmp_path / "r.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and b"/Type /Page" in pdf and len(pdf) > 20_000  # the images are in
    png = exports.write_view_screenshot(feature, tmp_path / "view.png")
    view = QImage(str(png))
    assert view.width() == window.mpr.active_slice_view().canvas.width()


def test_exports_without_a_result_say_why(qtbot, window, tmp_path):
    with pytest.raises(ValueError, match="press Analyze first"):
        exports.write_results_json(window.analysis, tmp_path / "r.json")
    assert not window.actions["export_pdf"].isEnabled()


def test_import_weights_dialog_refuses_a_bad_file(qtbot, window, tmp_path):
    bad = tmp_path / "primafullmodel107.pt"
    bad.write_bytes(b"not a checkpoint at all" * 20)
    config = STUDY_A.parents[1] / "tokenizer_config.json"
    dialog = window.analysis.files.import_weights()
    dialog.full_model.setText(str(bad))
    dialog.tokenizer.setText(str(config))
    dialog.name.setText("broken")
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.error_box is not None and dialog.error_box.isVisible(), timeout=30_000)
    assert dialog.error_box.windowTitle() == "Import refused"
    assert "primafullmodel107.pt" in dialog.error_box.text() and "Error" not in dialog.error_box.text()
    assert dialog.isVisible() and dialog.import_button.isEnabled()  # the reader may try another file
    assert [e.name for e in list_models()] == ["demo"]  # nothing added besides the built-in model
    dialog.error_box.close()
    dialog.reject()


def test_main_analyzes_and_screenshots_the_window(qtbot, bundle_dir, tmp_path, capsys):
    png = tmp_path / "analysis.png"
    code = main([str(STUDY_A), "--model", str(bundle_dir), "--analyze", "--screenshot", str(png)])
    assert code == 0, capsys.readouterr().err
    pixels = image_array(png)
    assert pixels.shape[1] > 1000 and (pixels.mean(axis=2) > 40).sum() > 50_000
    warm = (pixels[..., 0].astype(int) - pixels[..., 2].astype(int)) > 80
    assert warm.sum() > 2_000  # the heat map is in the screenshot


def test_main_refuses_unknown_names(qtbot, bundle_dir, tmp_path, capsys):
    shot = ["--screenshot", str(tmp_path / "never.png")]
    assert main([str(STUDY_A), "--model", "no-such-model", "--analyze", *shot]) == 1
    assert "unknown model 'no-such-model'" in capsys.readouterr().err
    assert main([str(STUDY_A), "--model", str(bundle_dir), "--method", "magic", *shot]) == 1
    assert "unknown saliency method 'magic'" in capsys.readouterr().err
    assert main(["--analyze", *shot]) == 1
    assert "nothing to analyze" in capsys.readouterr().err
    assert main([str(STUDY_A), "--model", str(bundle_dir), "--select", "Unicornitis", *shot]) == 1
    assert "no diagnosis named 'Unicornitis'" in capsys.readouterr().err
    assert not (tmp_path / "never.png").exists()


def test_main_without_any_model_says_so(qtbot, tmp_path, capsys, monkeypatch):
    # an installation without the built-in demo model (and nothing imported)
    monkeypatch.setattr("prima_core.model_registry.demo_bundle_dir", lambda: tmp_path / "no_demo_model")
    assert list_models() == []
    code = main([str(STUDY_A), "--analyze", "--screenshot", str(tmp_path / "never.png")])
    assert code == 1 and "no model is installed" in capsys.readouterr().err
    assert not (tmp_path / "never.png").exists()


def test_import_weights_dialog_adds_the_model_to_the_chooser(qtbot, window):
    fixtures = STUDY_A.parents[1]
    dialog = window.analysis.files.import_weights()
    dialog.full_model.setText(str(fixtures / "full_model.pt"))
    dialog.tokenizer.setText(str(fixtures / "tokenizer_config.json"))
    dialog.name.setText("parity-fixture")
    with qtbot.waitSignal(dialog.imported, timeout=120_000):
        dialog.import_button.click()
    assert [e.name for e in list_models()] == ["demo", "parity-fixture"]  # built-in first
    assert window.analysis.model() == "parity-fixture"
    assert AnalysisSettings.load().model == "parity-fixture"  # remembered for the next session
    assert not dialog.isVisible()


def test_automation_ends_on_the_top_region_of_the_selected_diagnosis(qtbot, window, bundle_dir):
    """``--analyze`` leaves the crosshair on the explanation's top region, its series on screen,
    so the ``--screenshot`` shows where the evidence is (as a reader who clicked the region)."""
    window.launch_options = {"analyze": True, "model": str(bundle_dir)}
    controller = window.analysis.controller
    with qtbot.waitSignal(controller.explanation_ready, timeout=300_000):
        window.open_path(STUDY_A)
    qtbot.waitUntil(lambda: window.analysis.launch.done, timeout=10_000)
    explanation, result = controller.explanation, controller.result
    top = explanation.regions[0]
    np.testing.assert_allclose(window.state.cursor_lps, top.center_lps, atol=1e-6)
    uid = result.series_uid(explanation.series_names.index(top.series))
    assert uid in window.state.active_series.values()
