"""Coalesce render requests: each changed view renders once per turn of the event loop.

A mouse drag can deliver several events between two paints; rendering on each would queue
frames the reader never sees. Views only mark themselves dirty; the scheduler renders the dirty
ones (and only those) when the event loop is next idle.
"""

from __future__ import annotations

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
        self.frames = 0

    def request(self, canvas: VtkCanvas) -> None:
        self._dirty[id(canvas)] = canvas
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Render every dirty view now."""
        self._timer.stop()
        dirty, self._dirty = list(self._dirty.values()), {}
        for canvas in dirty:
            canvas.render_now()
            self.frames += 1

    @property
    def pending(self) -> bool:
        return bool(self._dirty)
