"""The multiplanar reading area: axial, coronal and sagittal views plus the 3D view, in a layout."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QWidget

from app.session import FOREGROUND_PRIORITY, StudySession, series_label
from app.state import Layout, ViewerState, ViewName, connect_handlers, disconnect_handlers
from app.widgets.render_scheduler import RenderScheduler
from app.widgets.slice_view import SliceView
from app.widgets.volume_view import FOLLOW_INTERVAL_MS, VolumeView
from prima_core.geometry import ViewPlane

# (row, column) of each view per layout; 1x1 shows the active view alone.
_POSITIONS = {
    Layout.ROW: {ViewName.AXIAL: (0, 0), ViewName.CORONAL: (0, 1), ViewName.SAGITTAL: (0, 2)},
    Layout.GRID: {
        ViewName.AXIAL: (0, 0),
        ViewName.CORONAL: (0, 1),
        ViewName.SAGITTAL: (1, 0),
        ViewName.VOLUME: (1, 1),
    },
}


class MprPanel(QWidget):
    def __init__(self, state: ViewerState, session: StudySession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mprPanel")
        self.state = state
        self.session = session
        self.scheduler = RenderScheduler(self)
        self.slice_views = {
            ViewName(plane.value): SliceView(state, plane, scheduler=self.scheduler, parent=self)
            for plane in ViewPlane
        }
        self.volume_view = VolumeView(state, scheduler=self.scheduler, parent=self)
        self.scheduler.throttle(self.volume_view.canvas, interval_ms=FOLLOW_INTERVAL_MS)
        self.volume_view.attach(list(self.slice_views.values()))
        self.views: dict[ViewName, QWidget] = {**self.slice_views, ViewName.VOLUME: self.volume_view}
        for view in self.slice_views.values():
            view.maximize_requested.connect(self.toggle_maximize)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(2)
        self._previous_layout = Layout.GRID
        session.series_loaded.connect(self._on_series_loaded)
        self._connections = connect_handlers(state, self)
        self._apply_layout()

    # --- views -------------------------------------------------------------------------------
    def active_slice_view(self) -> SliceView:
        """The 2D view keys act on: the active one, or the axial view when the 3D view is active."""
        return self.slice_views.get(self.state.active_view, self.slice_views[ViewName.AXIAL])

    def visible_views(self) -> list[QWidget]:
        return [view for view in self.views.values() if view.isVisible()]

    def set_series_choices(self) -> None:
        choices = [(uid, series_label(self.session.series(uid))) for uid in self.session.series_uids()]
        for view in self.slice_views.values():
            view.header.set_choices(choices)

    def show_everywhere(self, uid: str) -> None:
        """Show one series in the three 2D views (the usual multiplanar reading)."""
        for name in self.slice_views:
            self.state.set_active_series(name.value, uid)

    def clear(self) -> None:
        for view in self.slice_views.values():
            view.show_series(None)
        self.state.active_series.clear()

    def _show(self, view: SliceView, uid: str) -> None:
        display = self.session.display(uid)
        if display is None:
            self.session.request(uid, priority=FOREGROUND_PRIORITY)
            return
        if uid not in self.state.window_levels:
            self.state.set_window_level(uid, display.presets[0].window)
        if view.display is not display:
            view.show_series(display)

    def _on_active_series_changed(self, view: str, uid: str) -> None:
        slice_view = self.slice_views.get(ViewName(view))
        if slice_view is not None and uid:
            self._show(slice_view, uid)

    def _on_series_loaded(self, uid: str) -> None:
        for name, view in self.slice_views.items():
            if self.state.active_series.get(name.value) == uid:
                self._show(view, uid)

    # --- layout ------------------------------------------------------------------------------
    def _on_layout_changed(self, layout: str) -> None:
        self._apply_layout()

    def _on_active_view_changed(self, view: str) -> None:
        if self.state.layout == Layout.ONE:
            self._apply_layout()

    def toggle_maximize(self, view: str) -> None:
        """Show ``view`` alone, or go back to the previous layout when it already is."""
        if self.state.layout == Layout.ONE:
            self.state.set_layout(self._previous_layout)
            return
        self._previous_layout = self.state.layout
        self.state.set_active_view(view)
        self.state.set_layout(Layout.ONE)

    def _apply_layout(self) -> None:
        layout = self.state.layout
        positions = {self.state.active_view: (0, 0)} if layout == Layout.ONE else _POSITIONS[layout]
        for name, view in self.views.items():
            self._grid.removeWidget(view)
            view.setVisible(name in positions)
        for name, (row, column) in positions.items():
            self._grid.addWidget(self.views[name], row, column)
        for index in range(3):
            self._grid.setRowStretch(index, 1 if index <= max(r for r, _c in positions.values()) else 0)
            self._grid.setColumnStretch(index, 1 if index <= max(c for _r, c in positions.values()) else 0)
        for view in self.visible_views():
            view.request_render()

    # --- rendering ---------------------------------------------------------------------------
    def flush(self) -> None:
        """Render every view that changed, now (the 3D view included)."""
        self.scheduler.render_everything_pending()

    def render_all(self) -> None:
        for view in self.visible_views():
            view.canvas.render_now()

    def shutdown(self) -> None:
        disconnect_handlers(self._connections)
        for view in self.views.values():
            view.shutdown()
