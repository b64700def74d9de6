"""The VTK scene of one 2D view: resliced image, overlay, crosshair, annotations and a 2D camera.

World coordinates of the scene are the view's millimetres ``(u, v)``: the reslice output lies in
the plane z = 0, so panning and zooming are camera moves and never touch the image pipeline.
"""

from __future__ import annotations

import numpy as np
from vtkmodules.vtkRenderingCore import vtkRenderer

from app import theme
from app.render.annotations import ViewAnnotations
from app.render.colormaps import overlay_table
from app.render.crosshair import CrosshairActor
from app.render.reslice_layer import GreyImage, OverlayLayer, ResliceLayer
from app.state import OverlayColormap
from prima_core.geometry import PlaneGrid, nice_length
from prima_core.io.volume import Volume
from prima_core.windowing import WindowLevel

CAMERA_DISTANCE = 1000.0
CROSSHAIR_GAP_PX = 10


class SliceScene:
    def __init__(self, *, vertical_color: str, horizontal_color: str) -> None:
        self.renderer = vtkRenderer()
        self.renderer.SetBackground(*theme.rgb(theme.VIEW_BACKGROUND))
        # One translucent layer (the heat map) over an opaque image: plain alpha blending in
        # drawing order is exact, and VTK's default order-independent transparency pass costs
        # about as much as the whole image again under software GL (benchmarks/bench_render_heat.py)
        self.renderer.SetUseOIT(False)
        self.base = ResliceLayer()
        self.grey = GreyImage(self.base)
        self.image = self.grey.actor
        self.image.SetVisibility(False)
        self.overlay = OverlayLayer()
        self.crosshair = CrosshairActor(vertical_color=vertical_color, horizontal_color=horizontal_color)
        self.renderer.AddActor(self.image)
        self.renderer.AddActor(self.overlay.actor)
        self.renderer.AddActor(self.crosshair.actor)
        self.annotations = ViewAnnotations(self.renderer)
        camera = self.renderer.GetActiveCamera()
        camera.ParallelProjectionOn()
        camera.SetViewUp(0.0, 1.0, 0.0)
        self.grid: PlaneGrid | None = None
        self.viewport_px = (1, 1)
        self.pixel_scale = 1.0  # device pixels per logical pixel

    # --- image -------------------------------------------------------------------------------
    def set_volume(self, volume: Volume, grid: PlaneGrid, *, background: float) -> None:
        self.grid = grid
        self.base.set_volume(volume, background=background)
        self.base.set_grid(grid)
        self.overlay.set_grid(grid)
        self.image.SetVisibility(True)

    def set_plane(self, plane_matrix: np.ndarray) -> None:
        self.base.set_plane(plane_matrix)
        if self.overlay.layer.volume is not None:
            self.overlay.layer.set_plane(plane_matrix)
            self.overlay.crop_to_content()

    def set_window(self, window: WindowLevel) -> None:
        self.grey.set_window(window)

    def set_fast(self, fast: bool) -> None:
        self.base.set_fast(fast)
        self.overlay.layer.set_fast(fast)

    def set_overlay(
        self,
        volume: Volume | None,
        *,
        plane_matrix: np.ndarray,
        colormap: OverlayColormap,
        threshold: float,
        opacity: float,
        high: float | None = None,
    ) -> None:
        if volume is None or self.grid is None:
            self.overlay.set_volume(None)
            return
        high = float(np.nanmax(volume.array)) if high is None else float(high)
        self.overlay.set_volume(volume, table=overlay_table(colormap, low=threshold, high=high))
        self.overlay.set_grid(self.grid)
        self.overlay.layer.set_plane(plane_matrix)
        self.overlay.crop_to_content()
        self.overlay.set_opacity(opacity)

    # --- camera ------------------------------------------------------------------------------
    def set_viewport(self, width_px: int, height_px: int, *, pixel_scale: float) -> None:
        self.viewport_px = (max(int(width_px), 1), max(int(height_px), 1))
        self.pixel_scale = pixel_scale

    def fit(self) -> None:
        """Centre the image and fit it to the viewport with a small margin."""
        if self.grid is None:
            return
        u0, u1, v0, v1 = self.grid.extent_uv
        width, height = self.viewport_px
        half_h = (v1 - v0 + self.grid.spacing) / 2
        half_w = (u1 - u0 + self.grid.spacing) / 2
        self._set_camera((u0 + u1) / 2, (v0 + v1) / 2, 1.03 * max(half_h, half_w * height / width))

    def _set_camera(self, focal_u: float, focal_v: float, parallel_scale: float) -> None:
        camera = self.renderer.GetActiveCamera()
        camera.SetFocalPoint(focal_u, focal_v, 0.0)
        camera.SetPosition(focal_u, focal_v, CAMERA_DISTANCE)
        camera.SetParallelScale(parallel_scale)
        camera.SetClippingRange(CAMERA_DISTANCE / 2, CAMERA_DISTANCE * 2)

    def camera_state(self) -> tuple[float, float, float]:
        camera = self.renderer.GetActiveCamera()
        focal = camera.GetFocalPoint()
        return focal[0], focal[1], camera.GetParallelScale()

    def px_per_mm(self) -> float:
        return self.viewport_px[1] / (2 * self.camera_state()[2])

    def zoom(self) -> float:
        """Screen pixels per image pixel (1.0 = one device pixel per resliced pixel)."""
        return self.px_per_mm() * (self.grid.spacing if self.grid else 1.0)

    def zoom_by(self, factor: float, *, about_uv: tuple[float, float] | None = None) -> None:
        fu, fv, scale = self.camera_state()
        new_scale = float(np.clip(scale / factor, 1.0, 5000.0))
        if about_uv is not None:  # keep the point under the mouse where it is
            ratio = new_scale / scale
            fu = about_uv[0] + (fu - about_uv[0]) * ratio
            fv = about_uv[1] + (fv - about_uv[1]) * ratio
        self._set_camera(fu, fv, new_scale)

    def pan_by_px(self, dx_px: float, dy_px: float) -> None:
        fu, fv, scale = self.camera_state()
        ppm = self.px_per_mm()
        self._set_camera(fu - dx_px / ppm, fv - dy_px / ppm, scale)

    def display_to_uv(self, x_px: float, y_px: float) -> tuple[float, float]:
        """Device pixels (origin bottom-left) to view mm."""
        fu, fv, _scale = self.camera_state()
        ppm = self.px_per_mm()
        width, height = self.viewport_px
        return fu + (x_px - width / 2) / ppm, fv + (y_px - height / 2) / ppm

    def uv_to_display(self, u: float, v: float) -> tuple[float, float]:
        fu, fv, _scale = self.camera_state()
        ppm = self.px_per_mm()
        width, height = self.viewport_px
        return width / 2 + (u - fu) * ppm, height / 2 + (v - fv) * ppm

    # --- decorations -------------------------------------------------------------------------
    def update_crosshair(self, u: float, v: float) -> None:
        if self.grid is None:
            return
        u0, u1, v0, v1 = self.grid.extent_uv
        pad = self.grid.spacing / 2
        gap = CROSSHAIR_GAP_PX * self.pixel_scale / self.px_per_mm()
        self.crosshair.update(u=u, v=v, bounds=(u0 - pad, u1 + pad, v0 - pad, v1 + pad), gap=gap)

    def update_scale_bar(self) -> None:
        width, height = self.viewport_px
        ppm = self.px_per_mm()
        length = nice_length(0.2 * width / ppm)
        self.annotations.scale_bar.update(
            length_mm=length, length_px=length * ppm, width_px=width, height_px=height, scale=self.pixel_scale
        )
