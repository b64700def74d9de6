"""Coalesce render requests: each changed view renders once per turn of the event loop.

A mouse drag can deliver several events between two paints; rendering on each would queue
frames the reader never sees. Views only mark themselves dirty; the scheduler renders the dirty
ones (and only those) when the event loop is next idle. A view may ask to be throttled (the 3D
view): it then renders at most once per ``interval_ms`` while changes keep coming, and always
once more after the last change, so the 2D views the reader works in keep the frame budget.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer

from app.widgets.vtk_canvas import VtkCanvas


class RenderScheduler(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._dirty: dict[int, VtkCanvas] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.flush)
        self._throttle: dict[int, float] = {}  # canvas id -> minimum seconds between renders
        self._last: dict[int, float] = {}
        self._late: dict[int, VtkCanvas] = {}
        self._late_timer = QTimer(self)
        self._late_timer.setSingleShot(True)
        self._late_timer.timeout.connect(self._render_late)
        self.frames = 0

    def throttle(self, canvas: VtkCanvas, *, interval_ms: int) -> None:
        self._throttle[id(canvas)] = interval_ms / 1000.0

    def request(self, canvas: VtkCanvas) -> None:
        self._dirty[id(canvas)] = canvas
        if not self._timer.isActive():
            self._timer.start()

    def flush(self, *, include_throttled: bool = False) -> None:
        """Render every dirty view now (throttled ones only when their interval has passed)."""
        self._timer.stop()
        dirty, self._dirty = list(self._dirty.values()), {}
        now = time.perf_counter()
        for canvas in dirty:
            key = id(canvas)
            wait = self._throttle.get(key, 0.0) - (now - self._last.get(key, -1e9))
            if wait > 0 and not include_throttled:
                self._late[key] = canvas
                if not self._late_timer.isActive():
                    self._late_timer.start(int(wait * 1000) + 1)
                continue
            self._render(canvas)

    def _render(self, canvas: VtkCanvas) -> None:
        self._late.pop(id(canvas), None)
        canvas.render_now()
        self._last[id(canvas)] = time.perf_counter()
        self.frames += 1

    def _render_late(self) -> None:
        for canvas in list(self._late.values()):
            self._render(canvas)

    def render_everything_pending(self) -> None:
        """Render dirty and postponed views now (before a screenshot or at the end of a test step)."""
        self.flush(include_throttled=True)
        self._late_timer.stop()
        self._render_late()

    @property
    def pending(self) -> bool:
        return bool(self._dirty) or bool(self._late)
