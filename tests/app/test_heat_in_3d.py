"""The heat map in the 3D view: on the slices shown in 3D, or as surfaces over the volume rendering.

Pixels of the real rendered 3D view are probed where the heat map's hotspot projects. The heat
map lies on its own grid (axes permuted and flipped, 4 mm voxels), so a heat-coloured probe there
also shows that the 3D view places it through its affine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.screenshot import canvas_pixels, grab_window, render_window_image
from app.state import OverlayColormap, ViewName
from tests.app.conftest import open_and_wait
from tests.app.test_mpr_views import READING_WINDOW
from tests.app.test_overlay_and_3d import HOTSPOT, heat_volume, rgb_at

pytestmark = pytest.mark.gui

FAR_FROM_HEAT = np.array([22.0, -22.0, -18.0])  # LPS mm: no slice through here meets the hotspot
PEAK = 0.7  # below the study's top (1.0), so the hot map gives orange, not near-white


def display_rc(view, lps) -> tuple[int, int]:
    """(row from the top, column) of the 3D view's pixel where an LPS point projects."""
    renderer = view.scene.renderer
    renderer.SetWorldPoint(*np.asarray(lps, dtype=float), 1.0)
    renderer.WorldToDisplay()
    x, y, _z = renderer.GetDisplayPoint()
    height = view.canvas.GetRenderWindow().GetSize()[1]
    return int(round(height - 1 - y)), int(round(x))


def rgb_near(view, lps, *, radius: int = 2) -> np.ndarray:
    """The mean colour around where ``lps`` projects in the rendered 3D view."""
    row, col = display_rc(view, lps)
    pixels = canvas_pixels(view.canvas).astype(float)
    return (
        pixels[row - radius : row + radius + 1, col - radius : col + radius + 1].reshape(-1, 3).mean(axis=0)
    )


def is_heat(rgb: np.ndarray) -> bool:
    return rgb[0] > rgb[2] + 60 and rgb[0] > 90


def is_grey(rgb: np.ndarray) -> bool:
    return abs(rgb[0] - rgb[2]) < 6 and abs(rgb[0] - rgb[1]) < 6


def show_heat(qtbot, window, study) -> tuple:
    """The study open, the reading window set, a heat map on the axial series' views, cursor on it."""
    open_and_wait(qtbot, window, study)
    window.actions["show_crosshair"].trigger()
    for uid in window.session.series_uids():
        window.state.set_window_level(uid, READING_WINDOW)
    heat = heat_volume()
    heat.array[...] *= PEAK
    uid = window.state.active_series[ViewName.AXIAL.value]
    window.analysis.overlay.set_maps({uid: heat})  # as an explanation does: one map per series
    controls = window.analysis.explanation_panel.controls
    controls.set_opacity(0.8)
    window.state.set_cursor(HOTSPOT)
    window.mpr.flush()
    return window.mpr.volume_view, controls


def save_shots(window, view, folder: Path, stem: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    assert grab_window(window).save(str(folder / f"{stem}_window.png"))
    assert render_window_image(view.canvas).save(str(folder / f"{stem}_3d.png"))


def test_heat_map_shows_on_the_slices_in_3d_and_follows_the_controls(qtbot, window, phantom_study, tmp_path):
    view, controls = show_heat(qtbot, window, phantom_study)
    assert view.scene.heat_shown()
    save_shots(window, view, tmp_path, "heat_on")
    hot = rgb_near(view, HOTSPOT)
    assert is_heat(hot), hot
    # the same colours as in the 2D view of that slice (a point on the coronal slice alone)
    on_coronal = HOTSPOT + np.array([4.0, 0.0, 4.0])
    in_3d = rgb_near(view, on_coronal, radius=1)
    in_2d = rgb_at(window.mpr.slice_views[ViewName.CORONAL], on_coronal)
    assert is_heat(in_3d) and np.abs(in_3d - in_2d).max() < 30, (in_3d, in_2d)

    controls.visible.setChecked(False)  # the one heat-map switch of all four views
    window.mpr.flush()
    assert not view.scene.heat_shown()
    off = rgb_near(view, HOTSPOT)
    assert is_grey(off) and off.mean() > 20, off  # the grey slice is still there, uncoloured
    save_shots(window, view, tmp_path, "heat_off")

    controls.visible.setChecked(True)
    controls.set_opacity(0.3)  # the opacity slider reaches the 3D view too
    window.mpr.flush()
    faint = rgb_near(view, HOTSPOT)
    assert 15 < faint[0] - faint[2] < hot[0] - hot[2] - 20, (faint, hot)  # fainter, still warm

    controls.set_opacity(0.8)
    controls.set_threshold(0.9)  # above the map's peak: nothing left to colour
    window.mpr.flush()
    assert is_grey(rgb_near(view, HOTSPOT))


def test_heat_in_3d_follows_the_crosshair_and_the_colour_map(qtbot, window, phantom_study):
    view, controls = show_heat(qtbot, window, phantom_study)
    hot = rgb_near(view, HOTSPOT)
    assert is_heat(hot)
    controls.colormap.setCurrentIndex(controls.colormap.findData(OverlayColormap.JET.value))
    window.mpr.flush()
    jet = rgb_near(view, HOTSPOT)
    assert np.abs(jet - hot).sum() > 40 and not is_grey(jet), (jet, hot)  # jet, not hot, colours

    window.state.set_cursor(FAR_FROM_HEAT)  # the slices move away from the hotspot
    window.mpr.flush()
    pixels = canvas_pixels(view.canvas).astype(int)
    rows, cols = pixels.shape[:2]
    warm = (pixels[..., 0] > pixels[..., 2] + 60) & (pixels[..., 0] > 90)
    assert warm[: rows * 3 // 4, : cols * 3 // 4].sum() < 5  # no heat left on any slice


def test_heat_shows_as_surfaces_over_the_volume_rendering(qtbot, window, phantom_study, tmp_path):
    view, controls = show_heat(qtbot, window, phantom_study)
    window.actions["volume_rendering"].trigger()
    window.mpr.flush()
    assert not any(actor.GetVisibility() for actor in view.scene.heat_planes.values())
    assert view.scene.heat_surface.visible
    save_shots(window, view, tmp_path, "volume_heat_on")
    hot = rgb_near(view, HOTSPOT)
    assert is_heat(hot), hot
    controls.visible.setChecked(False)
    window.mpr.flush()
    assert not view.scene.heat_shown()
    save_shots(window, view, tmp_path, "volume_heat_off")
    off = rgb_near(view, HOTSPOT)
    assert not is_heat(off) and np.abs(hot - off).sum() > 60, (hot, off)
    controls.visible.setChecked(True)
    window.state.set_cursor(FAR_FROM_HEAT)  # moving the slices does not touch the surfaces
    window.mpr.flush()
    assert is_heat(rgb_near(view, HOTSPOT))
    window.actions["volume_rendering"].trigger()  # back to the slices: no surfaces over them
    window.mpr.flush()
    assert not view.scene.heat_surface.visible
