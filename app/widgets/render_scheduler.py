"""Coalesce render requests: each changed view renders once per turn of the event loop.

A mouse drag can deliver several events between two paints; rendering on each would queue
frames the reader never sees. Views only mark themselves dirty; the scheduler renders the dirty
ones (and only those) when the event loop is next idle. A view may ask to be throttled (the 3D
view): it then renders at most once per ``interval_ms`` while changes keep coming, and always
once more after the last change, so the 2D views the reader works in keep the frame budget.

A request may also be *lazy*: a 2D view whose only change is the reference line of another
view's slice (the reader scrolls elsewhere) renders at most every ``LAZY_INTERVAL_MS`` while such
changes keep coming, and always after the last one; any other change of that view renders it at
the next turn as usual. Under software OpenGL each render of a view costs several milliseconds
whatever changed, so a fast scroll in one view no longer pays for two full redraws of the others
on every step (``benchmarks/bench_render.py``).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer

from app.widgets.vtk_canvas import VtkCanvas

LAZY_INTERVAL_MS = 50  # reference lines follow a scroll in another view at 20 frames/s or better


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
        self._late: dict[int, tuple[VtkCanvas, float]] = {}  # canvas id -> (canvas, due time)
        self._late_timer = QTimer(self)
        self._late_timer.setSingleShot(True)
        self._late_timer.timeout.connect(self._render_late)
        self._lazy: set[int] = set()  # dirty canvases whose only change may wait a little
        self.frames = 0

    def throttle(self, canvas: VtkCanvas, *, interval_ms: int) -> None:
        self._throttle[id(canvas)] = interval_ms / 1000.0

    def request(self, canvas: VtkCanvas, *, lazy: bool = False) -> None:
        key = id(canvas)
        if lazy:
            if key not in self._dirty:
                self._lazy.add(key)
        else:
            self._lazy.discard(key)
        self._dirty[key] = canvas
        if not self._timer.isActive():
            self._timer.start()

    def flush(self, *, include_throttled: bool = False) -> None:
        """Render every dirty view now (throttled ones only when their interval has passed)."""
        self._timer.stop()
        dirty, self._dirty = list(self._dirty.values()), {}
        lazy, self._lazy = self._lazy, set()
        now = time.perf_counter()
        for canvas in dirty:
            key = id(canvas)
            interval = max(self._throttle.get(key, 0.0), LAZY_INTERVAL_MS / 1000.0 if key in lazy else 0.0)
            due = self._last.get(key, -1e9) + interval
            if due > now and not include_throttled:
                # postponed; an earlier postponement of the same view keeps its (earlier) time
                self._late[key] = (canvas, min(due, self._late.get(key, (canvas, due))[1]))
                continue
            self._render(canvas)
        self._arm_late_timer()

    def _render(self, canvas: VtkCanvas) -> None:
        self._late.pop(id(canvas), None)
        canvas.render_now()
        self._last[id(canvas)] = time.perf_counter()
        self.frames += 1

    def _arm_late_timer(self) -> None:
        if not self._late:
            self._late_timer.stop()
            return
        first = min(due for _canvas, due in self._late.values())
        self._late_timer.start(max(int((first - time.perf_counter()) * 1000) + 1, 0))

    def _render_late(self, *, everything: bool = False) -> None:
        """Render the postponed views that are due (all of them with ``everything``)."""
        now = time.perf_counter()
        for canvas, due in list(self._late.values()):
            if everything or due <= now:
                self._render(canvas)
        self._arm_late_timer()

    def render_everything_pending(self) -> None:
        """Render dirty and postponed views now (before a screenshot or at the end of a test step)."""
        self.flush(include_throttled=True)
        self._render_late(everything=True)

    @property
    def pending(self) -> bool:
        return bool(self._dirty) or bool(self._late)
