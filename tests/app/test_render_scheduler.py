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


def test_scrolling_redraws_the_scrolled_view_now_and_the_reference_lines_after_it(
    qtbot, window, phantom_study, monkeypatch
):
    open_and_wait(qtbot, window, phantom_study)
    mpr, scheduler = window.mpr, window.mpr.scheduler
    axial = mpr.slice_views[ViewName.AXIAL]
    window.state.set_active_view(ViewName.AXIAL)
    mpr.flush()
    monkeypatch.setattr(render_scheduler, "LAZY_INTERVAL_MS", 400)
    before = _counts(window)
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
    open_and_wait(qtbot, window, phantom_study)
    mpr, scheduler = window.mpr, window.mpr.scheduler
    axial = mpr.slice_views[ViewName.AXIAL]
    window.state.set_active_view(ViewName.AXIAL)
    mpr.flush()
    monkeypatch.setattr(render_scheduler, "LAZY_INTERVAL_MS", 10_000)
    before = _counts(window)
    # move the cursor within the axial plane, across coronal and sagittal slices
    u, v, w = axial.frame.to_view(window.state.cursor_lps)
    window.state.set_cursor(axial.frame.to_lps([u + 12.0, v - 9.0, w]))
    scheduler.flush()
    after = _counts(window)
    assert all(after[name] == before[name] + 1 for name in before)
    assert not any(scheduler._late.get(id(v.canvas)) for v in mpr.slice_views.values())
