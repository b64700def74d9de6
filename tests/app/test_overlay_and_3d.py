"""The overlay seam (placed through the overlay's own affine), the 3D view, and state subscriptions."""

from __future__ import annotations

import numpy as np
import pytest

from app.screenshot import canvas_pixels
from app.state import OverlayColormap, ViewName
from prima_core.io.volume import Volume
from tests.app.conftest import CUBE_CENTER, open_and_wait
from tests.app.test_mpr_views import READING_WINDOW

pytestmark = pytest.mark.gui

HOTSPOT = np.array([-20.0, 15.0, 12.0])  # LPS mm, inside the head, away from the cube


def heat_volume() -> Volume:
    """A coarse map on its own grid: axes permuted and flipped, 4 mm voxels; 1.0 in a blob at HOTSPOT."""
    affine = np.array(
        [[0.0, -4.0, 0.0, 60.0], [4.0, 0.0, 0.0, -60.0], [0.0, 0.0, 4.0, -40.0], [0.0, 0.0, 0.0, 1.0]]
    )
    ni, nj, nk = 32, 32, 20
    k, j, i = np.mgrid[0:nk, 0:nj, 0:ni]
    lps = np.stack([i, j, k], axis=-1) @ affine[:3, :3].T + affine[:3, 3]
    blob = np.exp(-np.sum((lps - HOTSPOT) ** 2, axis=-1) / (2 * 5.0**2))
    return Volume(blob.astype(np.float32), affine)


def rgb_at(view, lps) -> np.ndarray:
    pos = view.widget_pos_of(lps)
    return canvas_pixels(view.canvas)[int(round(pos.y())), int(round(pos.x()))].astype(int)


def test_overlay_is_drawn_where_its_affine_places_it(qtbot, window, phantom_study):
    open_and_wait(qtbot, window, phantom_study)
    window.actions["show_crosshair"].trigger()
    for uid in window.session.series_uids():
        window.state.set_window_level(uid, READING_WINDOW)
    window.state.set_cursor(HOTSPOT)
    window.state.set_opacity(0.8)
    window.state.set_overlay(heat_volume(), colormap=OverlayColormap.HOT, threshold=0.3)
    window.mpr.flush()
    for name in (ViewName.AXIAL, ViewName.CORONAL, ViewName.SAGITTAL):
        view = window.mpr.slice_views[name]
        hot = rgb_at(view, HOTSPOT)
        assert hot[0] > hot[2] + 80, (name, hot)  # warm colour over grey tissue
        cold = rgb_at(view, HOTSPOT + 14 * view.frame.right)  # beyond the threshold: plain grey
        assert abs(cold[0] - cold[2]) < 4, (name, cold)
    window.state.set_overlay(None)
    window.mpr.flush()
    plain = rgb_at(window.mpr.slice_views[ViewName.AXIAL], HOTSPOT)
    assert abs(plain[0] - plain[2]) < 4


def test_three_d_view_shows_the_slices_and_a_volume_rendering(qtbot, window, phantom_study):
    open_and_wait(qtbot, window, phantom_study)
    view = window.mpr.volume_view
    assert view.isVisible()
    planes = canvas_pixels(view.canvas)
    assert (planes.mean(axis=2) > 60).sum() > 500  # the three slices, not an empty scene
    window.state.set_cursor(CUBE_CENTER)
    window.mpr.flush()
    moved = canvas_pixels(view.canvas)
    assert np.abs(moved.astype(int) - planes.astype(int)).sum() > 0  # slices follow the cursor
    window.actions["volume_rendering"].trigger()
    window.mpr.flush()
    assert view.scene.volume_actor.GetVisibility()
    assert not any(actor.GetVisibility() for actor in view.scene.planes.values())
    assert (canvas_pixels(view.canvas).mean(axis=2) > 30).sum() > 500


def test_views_disconnect_from_the_state_when_closed(qtbot, window, phantom_study):
    open_and_wait(qtbot, window, phantom_study)
    state, axial = window.state, window.mpr.slice_views[ViewName.AXIAL]
    assert axial._connections
    window.close()
    assert not axial._connections
    state.set_cursor(CUBE_CENTER + 5)  # no view reacts (their GL windows are gone): no crash
