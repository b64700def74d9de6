"""Measurement tools, layouts and the keyboard."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.state import Layout, Tool, ViewName
from app.widgets.shortcuts_dialog import ShortcutsDialog
from tests.app import pointer
from tests.app.conftest import CUBE_CENTER, TISSUE, open_and_wait

pytestmark = pytest.mark.gui


def test_distance_of_a_known_segment_in_mm(qtbot, window, phantom_study):
    open_and_wait(qtbot, window, phantom_study)
    axial = window.mpr.slice_views[ViewName.AXIAL]
    window.state.set_cursor(CUBE_CENTER)
    qtbot.keyClick(axial.canvas, Qt.Key.Key_M)
    assert window.state.tool == Tool.DISTANCE
    z = axial.frame.to_lps([0, 0, axial.depth])[2]
    a, b = np.array([-20.0, 10.0, z]), np.array([20.0, -20.0, z])  # 40 mm across, 30 mm down: 50 mm
    pointer.click(axial.canvas, axial.widget_pos_of(a))
    pointer.move(axial.canvas, axial.widget_pos_of((a + b) / 2))
    pointer.click(axial.canvas, axial.widget_pos_of(b))
    assert len(axial.measurements.items) == 1
    item = axial.measurements.items[0]
    assert item.distance_mm == pytest.approx(50.0, abs=0.2)
    assert item.graphic.label.GetInput() == f"{item.distance_mm:.1f} mm"
    assert np.allclose(window.state.cursor_lps, CUBE_CENTER)  # measuring does not move the crosshair
    qtbot.keyClick(axial.canvas, Qt.Key.Key_Delete)
    assert not axial.measurements.items


def test_roi_statistics_on_a_uniform_region(qtbot, window, phantom_study):
    open_and_wait(qtbot, window, phantom_study)
    axial = window.mpr.slice_views[ViewName.AXIAL]
    window.state.set_cursor(CUBE_CENTER)
    z = axial.frame.to_lps([0, 0, axial.depth])[2]
    a, b = np.array([-30.0, 15.0, z]), np.array([10.0, 35.0, z])  # tissue only, 40 x 20 mm
    for key, tool, area in (
        (Qt.Key.Key_E, Tool.ELLIPSE, np.pi * 20 * 10),
        (Qt.Key.Key_B, Tool.RECTANGLE, 800.0),
    ):
        qtbot.keyClick(axial.canvas, key)
        assert window.state.tool == tool
        pointer.drag(axial.canvas, axial.widget_pos_of(a), axial.widget_pos_of(b))
        stats = axial.measurements.items[-1].stats
        assert stats.mean == pytest.approx(TISSUE, abs=1e-3)
        assert stats.sd == pytest.approx(0.0, abs=1e-3)
        assert stats.area_mm2 == pytest.approx(area, rel=0.04)
    qtbot.keyClick(axial.canvas, Qt.Key.Key_Escape)
    assert window.state.tool == Tool.CROSSHAIR


def test_roi_over_two_intensities_reports_their_spread(qtbot, window, phantom_study):
    open_and_wait(qtbot, window, phantom_study)
    axial = window.mpr.slice_views[ViewName.AXIAL]
    window.state.set_cursor(CUBE_CENTER)
    window.state.set_tool(Tool.RECTANGLE)
    z = axial.frame.to_lps([0, 0, axial.depth])[2]
    low, high = CUBE_CENTER[:2] - [12, 0], CUBE_CENTER[:2] + [4, 4]
    pointer.drag(axial.canvas, axial.widget_pos_of([*low, z]), axial.widget_pos_of([*high, z]))
    stats = axial.measurements.items[-1].stats
    assert TISSUE < stats.mean < 1000 and stats.sd > 100 and stats.maximum == pytest.approx(1000, abs=1)


def test_layout_switching_by_keyboard_and_double_click(qtbot, window, phantom_study):
    open_and_wait(qtbot, window, phantom_study)
    mpr = window.mpr
    assert len(mpr.visible_views()) == 4
    for key, layout, count in (
        (Qt.Key.Key_1, Layout.ONE, 1),
        (Qt.Key.Key_3, Layout.ROW, 3),
        (Qt.Key.Key_4, Layout.GRID, 4),
    ):
        qtbot.keyClick(mpr.slice_views[ViewName.AXIAL].canvas, key, Qt.KeyboardModifier.ControlModifier)
        assert window.state.layout == layout
        assert len(mpr.visible_views()) == count
        assert window.actions[f"layout_{layout.value}"].isChecked()
    coronal = mpr.slice_views[ViewName.CORONAL]
    pos = coronal.widget_pos_of(CUBE_CENTER)
    pointer.press(coronal.canvas, pos)
    pointer.release(coronal.canvas, pos)
    qtbot.mouseDClick(coronal.canvas, Qt.MouseButton.LeftButton, pos=pos.toPoint())
    assert window.state.layout == Layout.ONE and mpr.visible_views() == [coronal]
    qtbot.keyClick(coronal.canvas, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)  # Alt+3: sagittal alone
    assert mpr.visible_views() == [mpr.slice_views[ViewName.SAGITTAL]]
    qtbot.keyClick(window, Qt.Key.Key_F)
    assert window.state.layout == Layout.GRID


def test_zoom_pan_and_reset(qtbot, window, phantom_study):
    open_and_wait(qtbot, window, phantom_study)
    axial = window.mpr.slice_views[ViewName.AXIAL]
    fitted = axial.zoom()
    pointer.wheel(axial.canvas, axial.widget_pos_of(CUBE_CENTER), 3, Qt.KeyboardModifier.ControlModifier)
    assert axial.zoom() == pytest.approx(fitted * 1.15**3, rel=1e-3)
    before = axial.widget_pos_of(CUBE_CENTER)
    pointer.drag(axial.canvas, before, before + type(before)(30, 20), Qt.MouseButton.MiddleButton)
    after = axial.widget_pos_of(CUBE_CENTER)
    assert after.x() == pytest.approx(before.x() + 30, abs=1) and after.y() == pytest.approx(
        before.y() + 20, abs=1
    )
    assert "zoom" in window.readout.zoom.text()
    qtbot.keyClick(axial.canvas, Qt.Key.Key_R)
    assert axial.zoom() == pytest.approx(fitted, rel=1e-6)


def test_presets_by_number_keys_and_shortcut_help(qtbot, window, phantom_study):
    open_and_wait(qtbot, window, phantom_study)
    axial = window.mpr.slice_views[ViewName.AXIAL]
    presets = axial.display.presets
    assert presets[0].name.startswith("T1") and any(p.name == "DICOM" for p in presets)
    dicom = next(i for i, p in enumerate(presets) if p.name == "DICOM")
    qtbot.keyClick(axial.canvas, getattr(Qt.Key, f"Key_{dicom + 1}"))
    assert window.state.window_levels[axial.display.uid] == presets[dicom].window
    qtbot.keyClick(axial.canvas, Qt.Key.Key_F1)
    dialog = window.commands.dialog
    assert isinstance(dialog, ShortcutsDialog) and dialog.isVisible()
    keys = {dialog.table.item(row, 0).text() for row in range(dialog.table.rowCount())}
    assert {"Ctrl+O", "Up, Right", "M", "Ctrl+4", "F1, ?", "Right drag"} <= keys
    dialog.close()
