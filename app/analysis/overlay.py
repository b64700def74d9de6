"""The heat map in the 2D views: each view shows the map of the series it displays.

An explanation has one heat-map ``Volume`` per series, in that series' own grid and affine.
When a view switches series, it gets that series' map (or none, for a series Prima did not
read). Opacity goes through the shared state (every view follows it); colour map, threshold
and visibility are applied per view here. The 3D view mirrors what the 2D views show (on its
slices, or as surfaces over its volume rendering), so these controls drive all four views.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from app.state import OverlayColormap, ViewerState, connect_handlers, disconnect_handlers
from app.widgets.mpr_panel import MprPanel
from app.widgets.overlay_controls import DEFAULT_THRESHOLD
from prima_core.io.volume import Volume

SCALE_TOP = 1.0  # heat maps are divided by the study's highest patch score (prima_core.explain)


class HeatmapOverlay(QObject):
    def __init__(self, state: ViewerState, mpr: MprPanel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.mpr = mpr
        self.maps: dict[str, Volume] = {}  # series uid -> heat map
        self.visible = True
        self.colormap = OverlayColormap.HOT
        self.threshold = DEFAULT_THRESHOLD
        self._connections = connect_handlers(state, self)

    def set_maps(self, maps: dict[str, Volume]) -> None:
        self.maps = dict(maps)
        self.apply()

    def clear(self) -> None:
        self.set_maps({})

    def set_visible(self, visible: bool) -> None:
        self.visible = bool(visible)
        self.apply()

    def set_colormap(self, colormap: OverlayColormap | str) -> None:
        self.colormap = OverlayColormap(colormap)
        self.apply()

    def set_threshold(self, threshold: float) -> None:
        self.threshold = float(threshold)
        self.apply()

    def map_for_view(self, view_name: str) -> Volume | None:
        uid = self.state.active_series.get(view_name, "")
        return self.maps.get(uid) if self.visible else None

    def apply(self) -> None:
        for name, view in self.mpr.slice_views.items():
            self._apply_to(name.value, view)

    def _apply_to(self, name: str, view) -> None:  # noqa: ANN001 - a SliceView
        view.set_overlay(
            self.map_for_view(name),
            colormap=self.colormap,
            opacity=self.state.opacity,
            threshold=self.threshold,
            high=SCALE_TOP,  # every series on the study's scale: 1 = the study's strongest patch
        )

    def _on_active_series_changed(self, view: str, _uid: str) -> None:
        slice_view = {n.value: v for n, v in self.mpr.slice_views.items()}.get(view)
        if slice_view is not None:
            self._apply_to(view, slice_view)

    def shutdown(self) -> None:
        disconnect_handlers(self._connections)
