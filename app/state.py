"""The viewer's shared, evented state.

Views never talk to each other: they change this model and react to its signals through
``_on_<event>`` handlers (connected with :func:`connect_handlers`, disconnected when the view
closes). Setters emit only on a real change, so a view that sets the cursor does not loop.
"""

from __future__ import annotations

import contextlib
from enum import StrEnum

import numpy as np
from PySide6.QtCore import QObject, Signal

from prima_core.io.volume import Volume
from prima_core.windowing import WindowLevel


class Layout(StrEnum):
    ONE = "1x1"
    ROW = "1x3"
    GRID = "2x2"


class ViewName(StrEnum):
    AXIAL = "axial"
    CORONAL = "coronal"
    SAGITTAL = "sagittal"
    VOLUME = "3d"


class Tool(StrEnum):
    CROSSHAIR = "crosshair"
    DISTANCE = "distance"
    ELLIPSE = "ellipse"
    RECTANGLE = "rectangle"


class OverlayColormap(StrEnum):
    HOT = "hot"
    JET = "jet"
    VIRIDIS = "viridis"


EVENTS = (
    "cursor_changed",
    "window_level_changed",
    "overlay_changed",
    "opacity_changed",
    "selected_diagnosis_changed",
    "active_series_changed",
    "layout_changed",
    "active_view_changed",
    "tool_changed",
    "interacting_changed",
)


class ViewerState(QObject):
    """Cursor, windows, overlay, selection, series per view, layout, active view and tool."""

    cursor_changed = Signal(object)  # np.ndarray LPS mm
    window_level_changed = Signal(str, object)  # series uid, WindowLevel
    overlay_changed = Signal()
    opacity_changed = Signal(float)
    selected_diagnosis_changed = Signal(object)  # str | None
    active_series_changed = Signal(str, str)  # view name, series uid ("" = none)
    layout_changed = Signal(str)
    active_view_changed = Signal(str)
    tool_changed = Signal(str)
    interacting_changed = Signal(bool)  # a drag is under way: views may trade quality for speed

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cursor_lps = np.zeros(3)
        self.window_levels: dict[str, WindowLevel] = {}
        self.overlay: Volume | None = None
        self.overlay_colormap = OverlayColormap.HOT
        self.overlay_threshold = 0.0
        self.opacity = 0.5
        self.selected_diagnosis: str | None = None
        self.active_series: dict[str, str] = {}
        self.layout = Layout.GRID
        self.active_view = ViewName.AXIAL
        self.tool = Tool.CROSSHAIR
        self.interacting = False

    def set_cursor(self, lps: np.ndarray) -> None:
        lps = np.asarray(lps, dtype=np.float64).copy()
        if not np.allclose(lps, self.cursor_lps, atol=1e-9):
            self.cursor_lps = lps
            self.cursor_changed.emit(lps)

    def set_window_level(self, series_uid: str, window: WindowLevel) -> None:
        if self.window_levels.get(series_uid) != window:
            self.window_levels[series_uid] = window
            self.window_level_changed.emit(series_uid, window)

    def set_overlay(
        self,
        volume: Volume | None,
        *,
        colormap: OverlayColormap = OverlayColormap.HOT,
        threshold: float = 0.0,
    ) -> None:
        self.overlay = volume
        self.overlay_colormap = OverlayColormap(colormap)
        self.overlay_threshold = float(threshold)
        self.overlay_changed.emit()

    def set_opacity(self, opacity: float) -> None:
        opacity = float(np.clip(opacity, 0.0, 1.0))
        if opacity != self.opacity:
            self.opacity = opacity
            self.opacity_changed.emit(opacity)

    def set_selected_diagnosis(self, name: str | None) -> None:
        if name != self.selected_diagnosis:
            self.selected_diagnosis = name
            self.selected_diagnosis_changed.emit(name)

    def set_active_series(self, view: str, series_uid: str) -> None:
        if self.active_series.get(str(view)) != series_uid:
            self.active_series[str(view)] = series_uid
            self.active_series_changed.emit(str(view), series_uid)

    def set_layout(self, layout: Layout | str) -> None:
        layout = Layout(layout)
        if layout != self.layout:
            self.layout = layout
            self.layout_changed.emit(str(layout))

    def set_active_view(self, view: ViewName | str) -> None:
        view = ViewName(view)
        if view != self.active_view:
            self.active_view = view
            self.active_view_changed.emit(str(view))

    def set_tool(self, tool: Tool | str) -> None:
        tool = Tool(tool)
        if tool != self.tool:
            self.tool = tool
            self.tool_changed.emit(str(tool))

    def set_interacting(self, interacting: bool) -> None:
        if interacting != self.interacting:
            self.interacting = interacting
            self.interacting_changed.emit(interacting)


def connect_handlers(state: ViewerState, subscriber: object) -> list[tuple[Signal, object]]:
    """Connect every ``subscriber._on_<event>`` method to the matching state signal.

    Returns the connections so :func:`disconnect_handlers` can undo exactly them.
    """
    connections = []
    for event in EVENTS:
        handler = getattr(subscriber, f"_on_{event}", None)
        if handler is not None:
            signal = getattr(state, event)
            signal.connect(handler)
            connections.append((signal, handler))
    return connections


def disconnect_handlers(connections: list[tuple[Signal, object]]) -> None:
    for signal, handler in connections:
        with contextlib.suppress(RuntimeError, TypeError):  # already gone with its sender
            signal.disconnect(handler)
    connections.clear()
