"""Mouse conventions of a 2D view.

* wheel: previous/next slice; Ctrl+wheel: zoom about the pointer
* left: the active tool (crosshair: click or drag moves the linked cursor; distance; ROI)
* right-drag: window (horizontal, contrast) and level (vertical, up = brighter)
* middle-drag or Shift+left-drag: pan; double-click: this view alone / back to the layout
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt

from app.state import Tool
from app.widgets.vtk_canvas import PointerEvent
from prima_core.windowing import WindowLevel

if TYPE_CHECKING:
    from app.widgets.slice_view import SliceView

WINDOW_PX_PER_E = 160.0  # pixels of horizontal drag that multiply the width by e
LEVEL_PX_PER_WIDTH = 300.0  # pixels of vertical drag that move the level by one width
ZOOM_PER_NOTCH = 1.15


class Drag(StrEnum):
    NONE = "none"
    CURSOR = "cursor"
    PAN = "pan"
    WINDOW = "window"
    ROI = "roi"


class SliceInteraction(QObject):
    def __init__(self, view: SliceView) -> None:
        super().__init__(view)
        self.view = view
        self.drag = Drag.NONE
        self._start: PointerEvent | None = None
        self._last: PointerEvent | None = None
        self._start_window: WindowLevel | None = None
        self._wheel_rest = 0.0
        canvas = view.canvas
        canvas.pressed.connect(self._on_press)
        canvas.moved.connect(self._on_move)
        canvas.released.connect(self._on_release)
        canvas.wheeled.connect(self._on_wheel)
        canvas.left_view.connect(lambda: view.hovered.emit(None))
        self.update_cursor_shape()

    def update_cursor_shape(self) -> None:
        shape = (
            Qt.CursorShape.CrossCursor
            if self.view.state.tool != Tool.CROSSHAIR
            else Qt.CursorShape.ArrowCursor
        )
        self.view.canvas.setCursor(shape)

    def _on_press(self, event: PointerEvent) -> None:
        view = self.view
        view.state.set_active_view(view.name)
        if view.display is None:
            return
        self._start = self._last = event
        if event.double and event.button == Qt.MouseButton.LeftButton:
            view.maximize_requested.emit(view.name.value)
            return
        shift = bool(event.modifiers & Qt.KeyboardModifier.ShiftModifier)
        if event.button == Qt.MouseButton.MiddleButton or (
            event.button == Qt.MouseButton.LeftButton and shift
        ):
            self.drag = Drag.PAN
        elif event.button == Qt.MouseButton.RightButton:
            self.drag = Drag.WINDOW
            self._start_window = view.state.window_levels.get(
                view.display.uid, view.display.presets[0].window
            )
        elif event.button == Qt.MouseButton.LeftButton:
            self._left_press(event)

    def _left_press(self, event: PointerEvent) -> None:
        view = self.view
        tool = view.state.tool
        if tool == Tool.CROSSHAIR:
            self.drag = Drag.CURSOR
            view.state.set_interacting(True)
            view.state.set_cursor(view.lps_at(event.x, event.y))
        elif tool == Tool.DISTANCE:
            view.measurements.distance_click(view.scene.display_to_uv(event.x, event.y))
        else:
            self.drag = Drag.ROI
            view.measurements.roi_start(view.scene.display_to_uv(event.x, event.y), tool)

    def _on_move(self, event: PointerEvent) -> None:
        view = self.view
        if view.display is None:
            return
        view.hover_at(event.x, event.y)
        uv = view.scene.display_to_uv(event.x, event.y)
        if self.drag == Drag.CURSOR:
            view.state.set_cursor(view.lps_at(event.x, event.y))
        elif self.drag == Drag.PAN and self._last is not None:
            view.pan_by_px(event.x - self._last.x, event.y - self._last.y)
        elif self.drag == Drag.WINDOW and self._start is not None:
            self._drag_window(event)
        elif self.drag == Drag.ROI:
            view.measurements.roi_drag(uv)
        elif view.state.tool == Tool.DISTANCE:
            view.measurements.distance_move(uv)
        self._last = event

    def _drag_window(self, event: PointerEvent) -> None:
        scale = self.view.canvas.pixel_ratio()
        dx = (event.x - self._start.x) / scale
        dy = (event.y - self._start.y) / scale
        start = self._start_window
        width = start.width * float(np.exp(dx / WINDOW_PX_PER_E))
        center = start.center - dy * start.width / LEVEL_PX_PER_WIDTH
        self.view.state.set_window_level(self.view.display.uid, WindowLevel(center, width))

    def _on_release(self, event: PointerEvent) -> None:
        view = self.view
        if self.drag == Drag.CURSOR:
            view.state.set_interacting(False)
        elif self.drag == Drag.ROI:
            view.measurements.roi_finish(view.scene.display_to_uv(event.x, event.y))
        self.drag = Drag.NONE
        self._start = self._last = None

    def _on_wheel(self, notches: float, event: PointerEvent) -> None:
        view = self.view
        if view.display is None:
            return
        view.state.set_active_view(view.name)
        if event.modifiers & Qt.KeyboardModifier.ControlModifier:
            view.zoom_by(ZOOM_PER_NOTCH**notches, about_px=(event.x, event.y))
            return
        self._wheel_rest += notches
        steps = int(self._wheel_rest)
        self._wheel_rest -= steps
        view.scroll(steps)
