"""Which views redraw when: the view the reader works in at once, reference lines of the others
may wait a little (``LAZY_INTERVAL_MS``) but always catch up after the last change."""

from __future__ import annotations

import numpy as np
import pytest

from app.state import ViewName
from app.widgets import render_scheduler
from tests.app.conftest import open_and_wait

pytestmark = pytest.mark.gui


def _counts(window) -> dict[ViewName, int]:
    return {name: view.canvas.render_count for name, view in window.mpr.slice_views.items()}


def _crosshair_at(view) -> np.ndarray:
    """The (u, v) the view's reference lines were last drawn through."""
    return np.asarray(view.scene.crosshair.position, dtype=float)


def _reading_in_axial(qtbot, window, study, monkeypatch, *, lazy_ms: int):
    """The study open, the reader working in the axial view, everything drawn; lazy renders
    postponed by ``lazy_ms``. Returns (mpr panel, scheduler, axial view, render counts)."""
    open_and_wait(qtbot, window, study)
    mpr = window.mpr
    window.state.set_active_view(ViewName.AXIAL)
    mpr.flush()
    monkeypatch.setattr(render_scheduler, "LAZY_INTERVAL_MS", lazy_ms)
    return mpr, mpr.scheduler, mpr.slice_views[ViewName.AXIAL], _counts(window)


def test_scrolling_redraws_the_scrolled_view_now_and_the_reference_lines_after_it(
    qtbot, window, phantom_study, monkeypatch
):
    mpr, scheduler, axial, before = _reading_in_axial(qtbot, window, phantom_study, monkeypatch, lazy_ms=400)
    for _ in range(3):  # a quick scroll: each step is drawn in the axial view at once
        axial.scroll(1)
        scheduler.flush()
    after = _counts(window)
    assert after[ViewName.AXIAL] == before[ViewName.AXIAL] + 3
    for name in (ViewName.CORONAL, ViewName.SAGITTAL):  # reference lines only: postponed
        assert after[name] <= before[name] + 1
        assert scheduler.pending
    # ... and drawn once the scroll pauses, through the cursor's final position
    qtbot.waitUntil(lambda: not scheduler.pending, timeout=5000)
    for name in (ViewName.CORONAL, ViewName.SAGITTAL):
        view = mpr.slice_views[name]
        assert view.canvas.render_count > after[name]
        u, v, _w = view.frame.to_view(window.state.cursor_lps)
        assert np.allclose(_crosshair_at(view), [u, v])


def test_a_drag_redraws_every_view_whose_slice_or_pointer_moved_at_once(
    qtbot, window, phantom_study, monkeypatch
):
    mpr, scheduler, axial, before = _reading_in_axial(
        qtbot, window, phantom_study, monkeypatch, lazy_ms=10_000
    )
    # move the cursor within the axial plane, across coronal and sagittal slices
    u, v, w = axial.frame.to_view(window.state.cursor_lps)
    window.state.set_cursor(axial.frame.to_lps([u + 12.0, v - 9.0, w]))
    scheduler.flush()
    after = _counts(window)
    assert all(after[name] == before[name] + 1 for name in before)
    assert not any(scheduler._late.get(id(v.canvas)) for v in mpr.slice_views.values())


def test_the_3d_view_waits_for_the_end_of_a_drag_and_then_shows_its_last_state(qtbot, window, phantom_study):
    open_and_wait(qtbot, window, phantom_study)
    mpr, scheduler, state = window.mpr, window.mpr.scheduler, window.state
    axial = mpr.slice_views[ViewName.AXIAL]
    volume_canvas = mpr.volume_view.canvas
    mpr.flush()
    qtbot.wait(300)  # past the 3D view's follow interval
    before = volume_canvas.render_count
    state.set_interacting(True)
    u, v, w = axial.frame.to_view(state.cursor_lps)
    for step in range(5):
        state.set_cursor(axial.frame.to_lps([u + 3.0 * step, v - 2.0 * step, w]))
        scheduler.flush()
        qtbot.wait(60)
    assert volume_canvas.render_count == before  # the drag's 2D views had the machine to themselves
    state.set_interacting(False)
    qtbot.waitUntil(lambda: volume_canvas.render_count > before, timeout=3000)
    coronal = mpr.slice_views[ViewName.CORONAL]
    placed = mpr.volume_view.scene._placed[ViewName.CORONAL.value][0]
    assert np.allclose(placed, coronal.frame.plane_matrix(coronal.depth))  # the final slice
