"""The 3D view: the three current slices in patient space (or a volume rendering), rotatable.

The heat map of each 2D view is drawn on its slice here too: the 2D views own the overlay (one set
of controls drives them), and this view only mirrors what they show.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QComboBox, QVBoxLayout, QWidget
from vtkmodules.vtkInteractionStyle import vtkInteractorStyleTrackballCamera
from vtkmodules.vtkInteractionWidgets import vtkOrientationMarkerWidget

from app.render.volume_scene import VolumeMode, VolumeScene, orientation_cube
from app.state import ViewerState, ViewName, connect_handlers, disconnect_handlers
from app.widgets.render_scheduler import RenderScheduler
from app.widgets.slice_view import SliceView
from app.widgets.view_header import ViewHeader
from app.widgets.vtk_canvas import VtkCanvas

# While slices keep changing (scrolling) the 3D view follows at most 4 times a
# second, so the 2D views the reader works in keep the frame budget; a single change after a pause
# is drawn at once, and the last change of a burst always is (RenderScheduler).
FOLLOW_INTERVAL_MS = 250
DRAG_HOLD_MS = 3_600_000  # while a 2D drag lasts: no 3D render until its release


class VolumeView(QWidget):
    name = ViewName.VOLUME

    def __init__(
        self, state: ViewerState, *, scheduler: RenderScheduler, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.state = state
        self.scheduler = scheduler
        self.scene = VolumeScene()
        self.header = ViewHeader(ViewName.VOLUME, state=state, parent=self)
        self.header.series_chooser.hide()
        self.mode_chooser = QComboBox()
        self.mode_chooser.addItem("Slices in 3D", VolumeMode.PLANES.value)
        self.mode_chooser.addItem("Volume rendering", VolumeMode.VOLUME.value)
        self.mode_chooser.setToolTip("What the 3D view draws (V toggles)")
        self.mode_chooser.currentIndexChanged.connect(
            lambda _i: self.set_mode(self.mode_chooser.currentData())
        )
        self.header.layout().insertWidget(1, self.mode_chooser)
        self.canvas = VtkCanvas(self, forward_to_vtk=True)
        self.canvas.GetRenderWindow().AddRenderer(self.scene.renderer)
        self.scene.heat_surface.attach(self.canvas.GetRenderWindow(), self.scene.renderer.GetActiveCamera())
        self.canvas.SetInteractorStyle(vtkInteractorStyleTrackballCamera())
        self.canvas.Initialize()
        self.canvas.pressed.connect(lambda _e: state.set_active_view(ViewName.VOLUME))
        self.marker = vtkOrientationMarkerWidget()
        self.marker.SetOrientationMarker(orientation_cube())
        self.marker.SetInteractor(self.canvas._Iren)
        self.marker.SetViewport(0.83, 0.01, 0.98, 0.23)
        self.marker.SetEnabled(True)
        self.marker.InteractiveOff()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.canvas, 1)
        self.slice_views: dict[str, SliceView] = {}
        self._camera_placed = False
        self._transfer_window = None
        self._connections = connect_handlers(state, self)

    def attach(self, views: list[SliceView]) -> None:
        """Show the slices of these 2D views; they say when their plane changes."""
        for view in views:
            self.slice_views[view.name.value] = view
            self.scene.add_plane(
                view.name.value, view.scene.base.output_port, heat_port=view.scene.overlay.output_port
            )
            view.plane_changed.connect(self.refresh)
            view.overlay_changed.connect(self.refresh)

    def refresh(self) -> None:
        """Copy the 2D views' planes and windows into the scene."""
        for name, view in self.slice_views.items():
            shown = view.display is not None and view.frame is not None
            matrix = view.frame.plane_matrix(view.depth) if shown else None
            window = self.state.window_levels.get(view.display.uid) if shown else None
            self.scene.update_plane(name, plane_matrix=matrix, window=window)
            overlay = view.scene.overlay
            self.scene.update_heat(name, shown=shown and overlay.shown, opacity=overlay.opacity)
        lead = self.slice_views.get(ViewName.AXIAL.value)
        display = lead.display if lead else None
        volume = display.volume if display else None
        changed = volume is not self.scene.volume or self.scene.mode == VolumeMode.PLANES
        self.scene.set_volume(volume)
        if display is not None:
            window = self.state.window_levels.get(display.uid, display.presets[0].window)
            if self.scene.mode == VolumeMode.VOLUME and window != self._transfer_window:
                self.scene.set_transfer(window)
                self._transfer_window = window
                changed = True
            if not self._camera_placed:
                self.reset_camera()
        changed |= self._show_heat_surface(lead)
        if changed:  # a volume rendering does not change when only the slices move
            self.request_render()

    def _show_heat_surface(self, lead: SliceView | None) -> bool:
        """In volume mode, the heat map of the rendered series as surfaces (the axial view's map)."""
        shown = lead.overlay_shown() if lead is not None and self.scene.mode == VolumeMode.VOLUME else None
        if shown is None:
            return self.scene.heat_surface.show(None)
        heat, colormap, threshold, opacity, high = shown
        top = float(np.nanmax(heat.array)) if high is None else float(high)
        return self.scene.heat_surface.show(
            heat, colormap=colormap, threshold=threshold, opacity=opacity, high=top
        )

    def set_mode(self, mode: VolumeMode | str) -> None:
        mode = VolumeMode(mode)
        self.scene.set_mode(mode)
        self._transfer_window = None
        index = self.mode_chooser.findData(mode.value)
        if index != self.mode_chooser.currentIndex():
            self.mode_chooser.blockSignals(True)
            self.mode_chooser.setCurrentIndex(index)
            self.mode_chooser.blockSignals(False)
        self.refresh()

    def toggle_mode(self) -> None:
        self.set_mode(VolumeMode.VOLUME if self.scene.mode == VolumeMode.PLANES else VolumeMode.PLANES)

    def reset_camera(self) -> None:
        self.scene.reset_camera()
        self._camera_placed = self.scene.volume is not None
        self.request_render()

    def request_render(self) -> None:
        self.scheduler.request(self.canvas)

    def _on_window_level_changed(self, uid: str, window) -> None:
        self.refresh()

    def _on_interacting_changed(self, interacting: bool) -> None:
        """During a drag in a 2D view the 3D view waits for the release (drawn then): under
        software OpenGL its renders cost as much as two 2D views, and the 2D views are what the
        reader watches while dragging (``benchmarks/bench_render.py``)."""
        self.scheduler.throttle(self.canvas, interval_ms=DRAG_HOLD_MS if interacting else FOLLOW_INTERVAL_MS)
        if not interacting:
            self.request_render()

    def closeEvent(self, event) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        disconnect_handlers(self._connections)
        self.header.shutdown()
        self.marker.SetEnabled(False)
        self.canvas.close_render_window()
