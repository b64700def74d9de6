"""Distance and ROI measurements drawn on a 2D view; the numbers come from ``prima_core.measure``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.render.measurements import MeasurementGraphic, ellipse_outline, rectangle_outline
from app.state import Tool
from prima_core.measure import RoiShape, RoiStats, distance_mm, roi_stats

if TYPE_CHECKING:
    from app.widgets.slice_view import SliceView

_ROI_SHAPES = {Tool.ELLIPSE: RoiShape.ELLIPSE, Tool.RECTANGLE: RoiShape.RECTANGLE}


@dataclass
class Measurement:
    tool: Tool
    points_uv: list[tuple[float, float]]
    depth: float
    graphic: MeasurementGraphic
    text: str = ""
    distance_mm: float | None = None
    stats: RoiStats | None = None


class SliceMeasurements:
    """The measurements of one view; each belongs to the slice it was drawn on."""

    def __init__(self, view: SliceView) -> None:
        self.view = view
        self.items: list[Measurement] = []
        self._pending: Measurement | None = None

    def _new(self, tool: Tool, uv: tuple[float, float]) -> Measurement:
        graphic = MeasurementGraphic(self.view.scene.renderer)
        return Measurement(tool, [uv, uv], self.view.depth, graphic)

    # --- distance ----------------------------------------------------------------------------
    def distance_click(self, uv: tuple[float, float]) -> None:
        if self._pending is None:
            self._pending = self._new(Tool.DISTANCE, uv)
            self._draw_distance(self._pending)
            return
        item, self._pending = self._pending, None
        item.points_uv[1] = uv
        self._draw_distance(item)
        self._finish(item)

    def distance_move(self, uv: tuple[float, float]) -> None:
        if self._pending is not None and self._pending.tool == Tool.DISTANCE:
            self._pending.points_uv[1] = uv
            self._draw_distance(self._pending)

    def _draw_distance(self, item: Measurement) -> None:
        frame = self.view.frame
        a, b = ([u, v, item.depth] for u, v in item.points_uv)
        item.distance_mm = distance_mm(frame.to_lps(a), frame.to_lps(b))
        item.text = f"{item.distance_mm:.1f} mm"
        item.graphic.set_outline(item.points_uv, closed=False, show_ends=True)
        end = item.points_uv[1]
        offset = 6.0 / self.view.scene.px_per_mm()
        item.graphic.set_label(item.text, at_uv=(end[0] + offset, end[1] + offset))
        self.view.request_render()

    # --- ROI ---------------------------------------------------------------------------------
    def roi_start(self, uv: tuple[float, float], tool: Tool) -> None:
        self.cancel()
        self._pending = self._new(Tool(tool), uv)

    def roi_drag(self, uv: tuple[float, float]) -> None:
        if self._pending is not None and self._pending.tool in _ROI_SHAPES:
            self._pending.points_uv[1] = uv
            self._draw_roi(self._pending, with_stats=False)

    def roi_finish(self, uv: tuple[float, float]) -> None:
        item, self._pending = self._pending, None
        if item is None or item.tool not in _ROI_SHAPES:
            return
        item.points_uv[1] = uv
        self._draw_roi(item, with_stats=True)
        if item.stats is None:
            item.graphic.remove()
            self.view.request_render()
            return
        self._finish(item)

    def _draw_roi(self, item: Measurement, *, with_stats: bool) -> None:
        a, b = item.points_uv
        shape = _ROI_SHAPES[item.tool]
        outline = ellipse_outline(a, b) if shape is RoiShape.ELLIPSE else rectangle_outline(a, b)
        item.graphic.set_outline(outline, closed=True)
        if with_stats:
            pixels = self.view.scene.base.pixels()
            item.stats = roi_stats(pixels, self.view.grid, shape=shape, corner_a_uv=a, corner_b_uv=b)
            item.text = item.stats.summary() if item.stats else ""
        offset = 4.0 / self.view.scene.px_per_mm()
        item.graphic.set_label(item.text, at_uv=(min(a[0], b[0]), max(a[1], b[1]) + offset))
        self.view.request_render()

    # --- bookkeeping -------------------------------------------------------------------------
    def _finish(self, item: Measurement) -> None:
        self.items.append(item)
        self.view.message.emit(f"{self.view.name.value}: {item.text}")

    def on_depth_changed(self, depth: float) -> None:
        half_step = (self.view.slices.step if self.view.slices else 1.0) / 2
        for item in self.items:
            item.graphic.set_visible(abs(item.depth - depth) < half_step)
        self.cancel()

    def on_camera_changed(self) -> None:
        """Labels are placed in mm; nothing to move when the camera changes."""

    def cancel(self) -> None:
        if self._pending is not None:
            self._pending.graphic.remove()
            self._pending = None
            self.view.request_render()

    def clear(self) -> None:
        self.cancel()
        for item in self.items:
            item.graphic.remove()
        self.items.clear()
        self.view.request_render()
