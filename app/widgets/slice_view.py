"""One 2D plane (axial, coronal or sagittal) of a series, resliced through patient space."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app import theme
from app.render.slice_scene import SliceScene
from app.session import SeriesDisplay
from app.state import OverlayColormap, ViewerState, ViewName, connect_handlers, disconnect_handlers
from app.widgets.render_scheduler import RenderScheduler
from app.widgets.slice_interaction import SliceInteraction
from app.widgets.slice_measurements import SliceMeasurements
from app.widgets.view_header import ViewHeader
from app.widgets.vtk_canvas import VtkCanvas
from prima_core.geometry import (
    PlaneGrid,
    SliceRange,
    ViewFrame,
    ViewPlane,
    acquisition_frame,
    edge_labels,
    plane_grid,
    radiological_frame,
    slice_position_label,
    slice_range,
    voxel_value_at,
)
from prima_core.io.volume import Volume

# The plane each crosshair line stands for: (vertical line, horizontal line).
_CROSS_PLANES = {
    ViewPlane.AXIAL: ("sagittal", "coronal"),
    ViewPlane.CORONAL: ("sagittal", "axial"),
    ViewPlane.SAGITTAL: ("coronal", "axial"),
}


@dataclass(frozen=True)
class HoverInfo:
    view: str
    lps: np.ndarray
    value: float | None


class SliceView(QWidget):
    hovered = Signal(object)  # HoverInfo | None
    plane_changed = Signal()  # another slice, series or frame is shown
    camera_changed = Signal()  # zoom or pan
    overlay_changed = Signal()  # the heat map, its colours, threshold or opacity changed
    maximize_requested = Signal(str)
    message = Signal(str)

    def __init__(
        self, state: ViewerState, plane: ViewPlane, *, scheduler: RenderScheduler, parent=None
    ) -> None:
        super().__init__(parent)
        self.state = state
        self.plane = ViewPlane(plane)
        self.name = ViewName(self.plane.value)
        self.scheduler = scheduler
        self.display: SeriesDisplay | None = None
        self.frame: ViewFrame | None = None
        self.grid: PlaneGrid | None = None
        self.slices: SliceRange | None = None
        self.depth = 0.0
        self.align_to_acquisition = False
        self._overlay: tuple = (None, OverlayColormap.HOT, 0.0, 0.5)
        self._overlay_high: float | None = None
        self._fitted = False
        vertical, horizontal = _CROSS_PLANES[self.plane]
        self.scene = SliceScene(
            vertical_color=theme.PLANE_COLORS[vertical], horizontal_color=theme.PLANE_COLORS[horizontal]
        )
        self.header = ViewHeader(self.name, state=state, parent=self)
        self.canvas = VtkCanvas(self)
        self.canvas.GetRenderWindow().AddRenderer(self.scene.renderer)
        self.canvas.resized.connect(self._on_resized)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.canvas, 1)
        self.measurements = SliceMeasurements(self)
        self.interaction = SliceInteraction(self)
        self._connections = connect_handlers(state, self)

    # --- series ------------------------------------------------------------------------------
    def show_series(self, display: SeriesDisplay | None) -> None:
        """Show a loaded series (or nothing) at the shared cursor and window."""
        self.display = display
        self.measurements.clear()
        if display is None:
            self.scene.image.SetVisibility(False)
            self.frame = None
            self.plane_changed.emit()
            self.request_render()
            return
        self._build_frame()
        window = self.state.window_levels.get(display.uid, display.presets[0].window)
        self.scene.set_window(window)
        self._apply_cursor(self.state.cursor_lps, force=True)
        self._reapply_overlay()
        self.reset_camera()

    def _build_frame(self) -> None:
        volume = self.display.volume
        anchor = volume.center_lps()
        if self.align_to_acquisition:
            self.frame = acquisition_frame(self.plane, direction=volume.direction, anchor=anchor)
        else:
            self.frame = radiological_frame(self.plane, anchor=anchor)
        self.grid = plane_grid(volume, self.frame)
        self.slices = slice_range(volume, self.frame)
        self.scene.set_volume(volume, self.grid, background=self.display.profile.minimum)
        self.scene.annotations.set_edge_labels(edge_labels(self.frame))

    def _reapply_overlay(self) -> None:
        volume, colormap, threshold, opacity = self._overlay
        self.set_overlay(
            volume, colormap=colormap, opacity=opacity, threshold=threshold, high=self._overlay_high
        )

    def set_align_to_acquisition(self, aligned: bool) -> None:
        self.align_to_acquisition = aligned
        if self.display is not None:
            self.show_series(self.display)

    def edge_labels(self) -> dict[str, str]:
        """The orientation letters currently drawn on the four edges."""
        return {edge: actor.GetInput() or "" for edge, actor in self.scene.annotations.edges.items()}

    # --- cursor and slices -------------------------------------------------------------------
    def _apply_cursor(self, lps: np.ndarray, *, force: bool = False) -> None:
        if self.frame is None:
            return
        u, v, w = self.frame.to_view(lps)
        depth = self.slices.snap(w)
        plane_changed = force or depth != self.depth
        if plane_changed:
            self.depth = depth
            self.scene.set_plane(self.frame.plane_matrix(depth))
            index = self.slices.index_of(depth)
            position = slice_position_label(self.frame, depth)
            self.scene.annotations.set_slice_text(f"Im {index + 1}/{self.slices.count}   {position}")
            self.measurements.on_depth_changed(depth)
            self.plane_changed.emit()
        self.scene.update_crosshair(u, v)
        # Only the reference lines moved, because the reader works in another view: may wait a
        # few milliseconds (see RenderScheduler); the view the reader works in never waits.
        self.request_render(lazy=not plane_changed and self.state.active_view != self.name)

    def slice_index(self) -> int:
        return self.slices.index_of(self.depth) if self.slices else 0

    def scroll(self, steps: int) -> None:
        """Move the shared cursor by whole slices along this view's direction."""
        if self.frame is None or not steps:
            return
        depth = self.slices.depth_of(self.slices.index_of(self.depth) + int(steps))
        u, v, _w = self.frame.to_view(self.state.cursor_lps)
        self.state.set_cursor(self.frame.to_lps([u, v, depth]))

    def lps_at(self, x_px: float, y_px: float) -> np.ndarray:
        """The LPS point on the displayed slice under a device pixel (origin bottom-left)."""
        u, v = self.scene.display_to_uv(x_px, y_px)
        return self.frame.to_lps([u, v, self.depth])

    def widget_pos_of(self, lps: np.ndarray) -> QPointF:
        """Where an LPS point projects in this view, in the canvas' logical (Qt) coordinates."""
        u, v, _w = self.frame.to_view(lps)
        x, y = self.scene.uv_to_display(u, v)
        ratio = self.canvas.pixel_ratio()
        return QPointF(x / ratio, self.canvas.height() - 1 - y / ratio)

    def hover_at(self, x_px: float, y_px: float) -> None:
        if self.display is None:
            return
        lps = self.lps_at(x_px, y_px)
        self.hovered.emit(HoverInfo(self.name, lps, voxel_value_at(self.display.volume, lps)))

    # --- camera ------------------------------------------------------------------------------
    def reset_camera(self) -> None:
        """Fit the image to the view (again once the view has its real size, if hidden now)."""
        self._sync_viewport()
        self.scene.fit()
        self._fitted = self.canvas.isVisible()
        self._camera_changed()

    def zoom_by(self, factor: float, *, about_px: tuple[float, float] | None = None) -> None:
        about = self.scene.display_to_uv(*about_px) if about_px else None
        self.scene.zoom_by(factor, about_uv=about)
        self._camera_changed()

    def pan_by_px(self, dx: float, dy: float) -> None:
        self.scene.pan_by_px(dx, dy)
        self._camera_changed()

    def zoom(self) -> float:
        return self.scene.zoom()

    def _camera_changed(self) -> None:
        if self.frame is not None:
            u, v, _w = self.frame.to_view(self.state.cursor_lps)
            self.scene.update_crosshair(u, v)
        self.scene.update_scale_bar()
        self.measurements.on_camera_changed()
        self.camera_changed.emit()
        self.request_render()

    def _sync_viewport(self) -> None:
        width, height = self.canvas.size_px()
        self.scene.set_viewport(width, height, pixel_scale=self.canvas.pixel_ratio())

    def _on_resized(self) -> None:
        """Keep zoom and pan through resizes and layout changes; fit a view never fitted while shown."""
        if not self._fitted:
            self.reset_camera()
            return
        self._sync_viewport()
        self._camera_changed()

    def request_render(self, *, lazy: bool = False) -> None:
        self.scheduler.request(self.canvas, lazy=lazy)

    # --- state events ------------------------------------------------------------------------
    def _on_cursor_changed(self, lps: np.ndarray) -> None:
        self._apply_cursor(lps)

    def _on_window_level_changed(self, uid: str, window) -> None:
        if self.display is not None and uid == self.display.uid:
            self.scene.set_window(window)
            self.request_render()

    def _on_overlay_changed(self) -> None:
        self.set_overlay(
            self.state.overlay,
            colormap=self.state.overlay_colormap,
            opacity=self.state.opacity,
            threshold=self.state.overlay_threshold,
        )

    def _on_opacity_changed(self, opacity: float) -> None:
        volume, colormap, threshold, _old = self._overlay
        self._overlay = (volume, colormap, threshold, opacity)
        self.scene.overlay.set_opacity(opacity)
        self.overlay_changed.emit()
        self.request_render()

    def _on_interacting_changed(self, interacting: bool) -> None:
        self.scene.set_fast(interacting)
        if not interacting:
            self.request_render()

    def _on_tool_changed(self, tool: str) -> None:
        self.measurements.cancel()
        self.interaction.update_cursor_shape()

    def set_overlay(
        self,
        volume: Volume | None,
        *,
        colormap: OverlayColormap | str,
        opacity: float,
        threshold: float,
        high: float | None = None,
    ) -> None:
        """Draw ``volume`` over this view, placed through its own affine; ``None`` removes it.

        Voxels below ``threshold`` are transparent; ``high`` gets the top colour (default: the
        volume's maximum; maps sharing one scale pass it). The shared state calls this on every
        view when its overlay changes; a caller may also use it for one view alone.
        """
        self._overlay = (volume, OverlayColormap(colormap), float(threshold), float(opacity))
        self._overlay_high = high
        if self.frame is None:
            return
        self.scene.set_overlay(
            volume,
            plane_matrix=self.frame.plane_matrix(self.depth),
            colormap=OverlayColormap(colormap),
            threshold=threshold,
            opacity=opacity,
            high=high,
        )
        self.overlay_changed.emit()
        self.request_render()

    def overlay_shown(self) -> tuple[Volume, OverlayColormap, float, float, float | None] | None:
        """(map, colour map, threshold, opacity, top of the scale) of the heat map drawn now."""
        volume, colormap, threshold, opacity = self._overlay
        if volume is None or not self.scene.overlay.shown:
            return None
        return volume, colormap, threshold, opacity, self._overlay_high

    def closeEvent(self, event) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        disconnect_handlers(self._connections)
        self.header.shutdown()
        self.canvas.close_render_window()
