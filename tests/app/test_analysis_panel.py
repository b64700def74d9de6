"""The Differential and Explanation panels on a real study, model and window (pixels probed)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.state import ViewName
from prima_core import DEMO_CAVEAT, RESEARCH_CAVEAT
from prima_core.analysis.settings import AnalysisSettings
from tests.app.test_analysis_support import (
    analyze_and_wait,
    bundle_dir_fixture,  # noqa: F401 - the bundle_dir fixture
    heat_samples,
    shared_analyzer_fixture,  # noqa: F401 - the shared_analyzer fixture
    view_pixels,
)

pytestmark = pytest.mark.gui


def test_analyze_fills_the_panel_ranked_by_margin(qtbot, window, bundle_dir, shared_analyzer):
    analyze_and_wait(qtbot, window, bundle_dir, shared_analyzer)
    panel = window.analysis.panel
    items = panel.list.list_model.items
    margins = [item.margin for item in items]
    assert len(items) == 52 and margins == sorted(margins, reverse=True)
    assert len({item.display_name for item in items}) == 52
    assert panel.caveat.isVisible() and panel.caveat.text() == RESEARCH_CAVEAT
    assert not panel.demo_caveat.isVisible()  # the fixture converts as official weights
    positives = sum(item.margin > 0 for item in items)
    assert f"<b>{positives}</b> of 52 positive (margin &gt; 0)" in panel.positives.text()
    assert panel.priority.text().endswith("PRIORITY") and "CPU" in panel.model_facts.text()
    texts = [panel.positives.text(), panel.referrals.text(), panel.model_facts.text(), panel.caveat.text()]
    assert not any("probabilit" in t.lower() and "not probabilit" not in t.lower() for t in texts)
    top = items[0]
    assert window.state.selected_diagnosis == top.name  # Analyze selects the top diagnosis
    assert window.analysis.explanation_panel.regions.topLevelItemCount() > 0


def test_heat_map_is_drawn_where_it_is_high_and_only_there(qtbot, window, bundle_dir, shared_analyzer):
    analyze_and_wait(qtbot, window, bundle_dir, shared_analyzer)
    feature = window.analysis
    view = window.mpr.slice_views[ViewName.AXIAL]
    heat = feature.overlay.map_for_view("axial")
    assert heat is not None and float(heat.array.max()) > 0
    for name in (ViewName.AXIAL, ViewName.CORONAL, ViewName.SAGITTAL):  # one scale for all series:
        low, high = window.mpr.slice_views[name].scene.overlay.table.GetTableRange()  # 1 = study top
        assert (low, high) == pytest.approx((feature.overlay.threshold, 1.0))
    with_map = view_pixels(view)
    window.actions["show_heatmap"].trigger()  # H: off
    window.mpr.flush()
    assert not feature.explanation_panel.controls.visible.isChecked()
    without = view_pixels(view)
    threshold = feature.overlay.threshold
    samples = heat_samples(view, heat)
    hot = [(r, c) for r, c, v in samples if v > threshold + 0.05]
    cold = [(r, c) for r, c, v in samples if v == 0]
    assert len(hot) > 10 and len(cold) > 10
    changed = lambda r, c: np.abs(with_map[r, c] - without[r, c]).sum() > 6  # noqa: E731
    assert np.mean([changed(r, c) for r, c in hot]) > 0.95  # coloured where the map is high ...
    assert not any(changed(r, c) for r, c in cold)  # ... and nowhere where it is zero

    window.actions["show_heatmap"].trigger()  # H: on again
    feature.explanation_panel.controls.set_opacity(1.0)
    window.mpr.flush()
    opaque = view_pixels(view)
    row, col = hot[len(hot) // 2]
    assert np.abs(opaque[row, col] - with_map[row, col]).sum() > 10  # opacity changes the blend
    assert np.abs(opaque[row, col] - without[row, col]).sum() > 10


def test_clicking_a_region_moves_the_crosshair_and_shows_its_series(
    qtbot, window, bundle_dir, shared_analyzer
):
    analyze_and_wait(qtbot, window, bundle_dir, shared_analyzer)
    feature = window.analysis
    regions = feature.explanation_panel.regions
    explanation = feature.controller.explanation
    index = next(i for i, r in enumerate(explanation.regions) if r.series.startswith("SAG"))
    region = explanation.regions[index]
    rect = regions.visualItemRect(regions.topLevelItem(index))
    qtbot.mouseClick(regions.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    np.testing.assert_allclose(window.state.cursor_lps, region.center_lps)
    uid = feature.controller.result.series_uid(explanation.series_names.index(region.series))
    assert window.state.active_series["axial"] == uid  # no view showed the sagittal series before
    window.mpr.flush()
    assert feature.overlay.map_for_view("axial") is explanation.heatmap(region.series)


def test_keyboard_moves_through_the_list_and_enter_selects(qtbot, window, bundle_dir, shared_analyzer):
    analyze_and_wait(qtbot, window, bundle_dir, shared_analyzer)
    feature = window.analysis
    view = feature.panel.list
    view.setFocus()
    items = view.list_model.items
    view.setCurrentIndex(view.list_model.index(0))
    qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert view.currentIndex().row() == 2
    assert window.state.selected_diagnosis == items[0].name  # moving does not select
    with qtbot.waitSignal(feature.controller.explanation_ready, timeout=60_000):
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert window.state.selected_diagnosis == items[2].name
    assert feature.controller.explanation.target.name == items[2].name
    feature.panel.filter.setText("cyst")
    assert view.list_model.items and all(
        "cyst" in (i.name + i.display_name + i.group + i.description).lower() for i in view.list_model.items
    )


def test_method_chooser_recomputes_the_explanation(qtbot, window, bundle_dir, shared_analyzer):
    analyze_and_wait(qtbot, window, bundle_dir, shared_analyzer)
    feature = window.analysis
    chooser = feature.explanation_panel.method
    with qtbot.waitSignal(feature.controller.explanation_ready, timeout=60_000):
        chooser.setCurrentIndex(chooser.findData("attention_rollout"))
        chooser.activated.emit(chooser.currentIndex())
    assert str(feature.controller.explanation.method) == "attention_rollout"


def test_model_choice_is_remembered(qtbot, window, bundle_dir):
    window.analysis.panel.models.choose(str(bundle_dir))
    assert AnalysisSettings.load().model == str(bundle_dir)
    from app.main_window import MainWindow

    again = MainWindow()
    qtbot.addWidget(again)
    assert again.analysis.model() == str(bundle_dir)
    again.close()


def test_demo_caveat_wording_is_prominent(qtbot, window):
    from prima_core.analysis.differential import differential_from_result
    from tests.core.test_analysis_core import fake_result

    panel = window.analysis.panel
    panel.show_differential(differential_from_result(fake_result(kind="demo")))
    assert panel.demo_caveat.isVisible() and DEMO_CAVEAT in panel.demo_caveat.text()
    assert panel.caveat.isVisible()
