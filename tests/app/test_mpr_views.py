"""The three 2D views show the right anatomy in the right place (pixel probes of rendered views)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from app.screenshot import canvas_pixels
from app.state import ViewName
from prima_core.windowing import WindowLevel
from tests.app import pointer
from tests.app.conftest import BLOCK_CENTER, CUBE_CENTER, SERIES_SPACING, TISSUE, open_and_wait

pytestmark = pytest.mark.gui

READING_WINDOW = WindowLevel(500.0, 1000.0)  # air 0 -> black, tissue 300 -> dark grey, cube 1000 -> white


def grey_at(view, lps, *, radius: int = 1) -> float:
    """Mean grey level of the rendered view around where an LPS point projects."""
    pixels = canvas_pixels(view.canvas).mean(axis=2)
    pos = view.widget_pos_of(lps)
    ratio = view.canvas.pixel_ratio()
    col, row = int(round(pos.x() * ratio)), int(round(pos.y() * ratio))
    return float(pixels[row - radius : row + radius + 1, col - radius : col + radius + 1].mean())


def prepare(qtbot, window, study):
    open_and_wait(qtbot, window, study)
    window.actions["show_crosshair"].trigger()  # hide the lines so probes see only the image
    for uid in window.session.series_uids():
        window.state.set_window_level(uid, READING_WINDOW)
    window.state.set_cursor(CUBE_CENTER)
    window.mpr.flush()


def test_each_view_shows_the_cube_bright_where_it_projects(qtbot, window, phantom_study):
    prepare(qtbot, window, phantom_study)
    for name in (ViewName.AXIAL, ViewName.CORONAL, ViewName.SAGITTAL):
        view = window.mpr.slice_views[name]
        assert grey_at(view, CUBE_CENTER) > 240, name
        outside_head = CUBE_CENTER + 40 * (view.frame.right + view.frame.up)
        assert grey_at(view, outside_head) < 10, name
    tissue = grey_at(window.mpr.slice_views[ViewName.AXIAL], [0.0, 0.0, CUBE_CENTER[2]])
    assert tissue == pytest.approx(255 * TISSUE / 1000, abs=6)


def test_radiological_convention_on_screen(qtbot, window, phantom_study):
    """The cube (patient's left, front, top) is screen-right in axial/coronal; screen-left in sagittal."""
    prepare(qtbot, window, phantom_study)
    views = window.mpr.slice_views
    centre = np.array([0.0, 0.0, CUBE_CENTER[2]])
    axial = views[ViewName.AXIAL]
    cube, middle = axial.widget_pos_of(CUBE_CENTER), axial.widget_pos_of(centre)
    assert cube.x() > middle.x() + 30 and cube.y() < middle.y() - 20  # left -> right, anterior -> up
    mirrored = CUBE_CENTER * [-1, 1, 1]  # the same point on the patient's right: tissue only
    assert grey_at(axial, mirrored) < 100 < grey_at(axial, CUBE_CENTER)
    coronal = views[ViewName.CORONAL]
    assert coronal.widget_pos_of(CUBE_CENTER).x() > coronal.widget_pos_of(CUBE_CENTER * [0, 1, 1]).x() + 30
    assert coronal.widget_pos_of(CUBE_CENTER).y() < coronal.widget_pos_of(CUBE_CENTER * [1, 1, 0]).y() - 20
    sagittal = views[ViewName.SAGITTAL]
    assert sagittal.widget_pos_of(CUBE_CENTER).x() < sagittal.widget_pos_of(CUBE_CENTER * [1, 0, 1]).x() - 30
    # and the pixels agree: bright on the anterior side of the sagittal slice, not the posterior one
    assert grey_at(sagittal, CUBE_CENTER) > 240 and grey_at(sagittal, CUBE_CENTER * [1, -1, 1]) < 100


def test_orientation_labels_follow_the_view_axes(qtbot, window, phantom_study, oblique_study):
    open_and_wait(qtbot, window, phantom_study)
    views = window.mpr.slice_views
    assert views[ViewName.AXIAL].edge_labels() == {"left": "R", "right": "L", "top": "A", "bottom": "P"}
    assert views[ViewName.CORONAL].edge_labels() == {"left": "R", "right": "L", "top": "S", "bottom": "I"}
    assert views[ViewName.SAGITTAL].edge_labels() == {"left": "A", "right": "P", "top": "S", "bottom": "I"}
    open_and_wait(qtbot, window, oblique_study)
    window.actions["align_acquisition"].trigger()  # read the oblique series in its own plane
    labels = views[ViewName.AXIAL].edge_labels()
    assert all(len(text) >= 2 for text in labels.values()), labels  # obliquity shows in the letters
    window.actions["align_acquisition"].trigger()
    assert views[ViewName.AXIAL].edge_labels()["left"] == "R"


def test_window_level_changes_the_pixels(qtbot, window, phantom_study):
    prepare(qtbot, window, phantom_study)
    axial = window.mpr.slice_views[ViewName.AXIAL]
    tissue_point = np.array([-10.0, 20.0, CUBE_CENTER[2]])
    before = grey_at(axial, tissue_point)
    uid = axial.display.uid
    window.state.set_window_level(uid, WindowLevel(300.0, 200.0))  # tissue at the middle of the window
    window.mpr.flush()
    assert grey_at(axial, tissue_point) == pytest.approx(127, abs=6)
    assert before == pytest.approx(77, abs=6)
    # right-drag to the right widens the window: tissue gets closer to the window centre's grey
    start = axial.widget_pos_of(tissue_point)
    pointer.drag(axial.canvas, start, QPointF(start.x() + 120, start.y()), Qt.MouseButton.RightButton)
    window.mpr.flush()
    assert window.state.window_levels[uid].width > 400
    assert window.readout.window.text().startswith("W ")


def test_crosshair_drag_in_one_view_moves_the_others(qtbot, window, phantom_study):
    prepare(qtbot, window, phantom_study)
    views = window.mpr.slice_views
    axial, coronal, sagittal = views[ViewName.AXIAL], views[ViewName.CORONAL], views[ViewName.SAGITTAL]
    coronal_before, sagittal_before, axial_before = (
        coronal.slice_index(),
        sagittal.slice_index(),
        axial.slice_index(),
    )
    target = np.array([-30.0, 20.0, CUBE_CENTER[2]])
    pointer.drag(axial.canvas, axial.widget_pos_of(CUBE_CENTER), axial.widget_pos_of(target))
    window.mpr.flush()
    assert np.allclose(window.state.cursor_lps[:2], target[:2], atol=0.6)
    assert axial.slice_index() == axial_before  # the clicked view keeps its slice
    assert coronal.slice_index() != coronal_before and sagittal.slice_index() != sagittal_before
    # the coronal view now shows the plane y = 20 (posterior), the sagittal x = -30 (right)
    assert abs(coronal.frame.to_lps([0, 0, coronal.depth])[1] - 20.0) <= 1.0
    assert abs(sagittal.frame.to_lps([0, 0, sagittal.depth])[0] + 30.0) <= 1.0
    assert not window.state.interacting  # quality restored after the drag


def test_scroll_moves_by_one_slice_spacing(qtbot, window, phantom_study):
    prepare(qtbot, window, phantom_study)
    axial = window.mpr.slice_views[ViewName.AXIAL]
    axial.scroll(0)
    pointer.wheel(axial.canvas, QPointF(50, 50), -1)  # lands the cursor on a slice centre
    z0, index0 = window.state.cursor_lps[2], axial.slice_index()
    pointer.wheel(axial.canvas, QPointF(50, 50), 1)
    assert window.state.cursor_lps[2] == pytest.approx(z0 + SERIES_SPACING[2], abs=1e-6)
    assert axial.slice_index() == index0 + 1
    assert axial.canvas.hasFocus()  # after opening, the keys go to the views
    qtbot.keyClick(axial.canvas, Qt.Key.Key_Down)
    qtbot.keyClick(axial.canvas, Qt.Key.Key_Down)
    assert axial.slice_index() == index0 - 1
    qtbot.keyClick(axial.canvas, Qt.Key.Key_Home)
    assert axial.slice_index() == 0
    qtbot.keyClick(axial.canvas, Qt.Key.Key_PageUp)
    assert axial.slice_index() == 10
    qtbot.keyClick(axial.canvas, Qt.Key.Key_End)
    assert axial.slice_index() == axial.slices.count - 1
    text = axial.scene.annotations.slice_text.GetInput()
    assert text.startswith(f"Im {axial.slices.count}/{axial.slices.count}") and "mm" in text


def test_the_other_series_shows_the_same_anatomy(qtbot, window, phantom_study):
    """The sagittal FLAIR, placed through its own affine, shows the dimmer block where the axial does."""
    prepare(qtbot, window, phantom_study)
    window.state.set_cursor(BLOCK_CENTER)
    sagittal_view = window.mpr.slice_views[ViewName.SAGITTAL]
    flair = [uid for uid in window.session.series_uids() if uid != sagittal_view.display.uid][0]
    with qtbot.waitSignal(sagittal_view.plane_changed, timeout=10_000):
        sagittal_view.header.series_chooser.setCurrentIndex(
            sagittal_view.header.series_chooser.findData(flair)
        )
    window.state.set_window_level(flair, READING_WINDOW)
    window.mpr.flush()
    assert sagittal_view.display.uid == flair
    assert grey_at(sagittal_view, BLOCK_CENTER) == pytest.approx(255 * 0.6, abs=12)
    assert grey_at(window.mpr.slice_views[ViewName.AXIAL], BLOCK_CENTER) == pytest.approx(255 * 0.6, abs=12)


def test_an_oblique_acquisition_is_placed_by_its_affine(qtbot, window, oblique_study):
    """Rotated ~30 and ~35 degrees about two axes: the cube still shows where it is in patient space."""
    prepare(qtbot, window, oblique_study)
    for name in (ViewName.AXIAL, ViewName.CORONAL, ViewName.SAGITTAL):
        view = window.mpr.slice_views[name]
        assert grey_at(view, CUBE_CENTER) > 200, name
        right = view.frame.right
        mirrored = CUBE_CENTER - 2 * (CUBE_CENTER @ right) * right  # the other side of the screen
        assert grey_at(view, mirrored) < 120, name
