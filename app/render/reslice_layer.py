"""A volume resliced onto a view's plane through its own affine, and the image actor that shows it."""

from __future__ import annotations

import numpy as np
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkCommonCore import vtkLookupTable
from vtkmodules.vtkCommonMath import vtkMatrix4x4
from vtkmodules.vtkImagingCore import vtkImageMapToColors, vtkImageReslice, vtkImageShiftScale
from vtkmodules.vtkRenderingCore import vtkImageActor

from app.render.vtk_image import image_pixels, index_space_image, to_vtk_matrix
from prima_core.geometry import PlaneGrid, reslice_matrix
from prima_core.io.volume import Volume
from prima_core.windowing import WindowLevel

FAST_MAX_PIXELS = 320  # per side of a plane resliced while the reader drags


class ResliceLayer:
    """``vtkImageReslice`` fed with index-space voxels; its axes = inverse affine @ plane matrix.

    Moving through slices or dragging the crosshair only rewrites the 16 numbers of the reslice
    axes, never the pipeline. ``set_fast(True)``, while the reader drags, samples at most
    ``FAST_MAX_PIXELS`` per side (a 512-pixel plane at half resolution, the same area): under
    software GL the upload and drawing of a plane cost per pixel, and the dragged-through planes
    are sharp again on release.
    """

    def __init__(self) -> None:
        self.volume: Volume | None = None
        self.grid: PlaneGrid | None = None
        self._axes = vtkMatrix4x4()
        self.reslice = vtkImageReslice()
        self.reslice.SetOutputDimensionality(2)
        self.reslice.SetResliceAxes(self._axes)
        self.reslice.SetInterpolationModeToLinear()
        self.reslice.AutoCropOutputOff()
        self._fast = False

    @property
    def output_port(self):
        return self.reslice.GetOutputPort()

    def set_volume(self, volume: Volume | None, *, background: float = 0.0) -> None:
        self.volume = volume
        if volume is not None:
            self.reslice.SetInputData(index_space_image(volume))
            self.reslice.SetBackgroundLevel(background)

    def set_grid(self, grid: PlaneGrid) -> None:
        self.grid = grid
        self._apply_grid()

    def output_grid(self) -> PlaneGrid | None:
        """The grid sampled now: ``grid``, or its coarser version while fast."""
        if self.grid is None or not self._fast:
            return self.grid
        factor = -(-max(self.grid.size) // FAST_MAX_PIXELS)
        return coarse_grid(self.grid, pixel_mm=factor * self.grid.spacing)

    def _apply_grid(self) -> None:
        grid = self.output_grid()
        if grid is None:
            return
        self.reslice.SetOutputOrigin(grid.origin_uv[0], grid.origin_uv[1], 0.0)
        self.reslice.SetOutputSpacing(grid.spacing, grid.spacing, 1.0)
        self.reslice.SetOutputExtent(0, grid.size[0] - 1, 0, grid.size[1] - 1, 0, 0)

    def set_plane(self, plane_matrix: np.ndarray) -> None:
        if self.volume is not None:
            to_vtk_matrix(reslice_matrix(self.volume.affine, plane_matrix), self._axes)
            self.reslice.Modified()

    def set_fast(self, fast: bool) -> None:
        if fast != self._fast:
            self._fast = fast
            self._apply_grid()

    def pixels(self) -> np.ndarray:
        """The resliced plane as ``(rows, cols)``, row 0 at the bottom of the view."""
        self.reslice.Update()
        return image_pixels(self.reslice.GetOutput())


class GreyImage:
    """The resliced plane mapped through a window/level to 8-bit grey, and the actor showing it.

    The window is applied right after the reslice (``vtkImageShiftScale`` to unsigned char,
    clamped) rather than by the actor's property: VTK then uploads the 8-bit plane as it is,
    whereas a property window/level first converts every pixel to RGBA on the CPU. Same mapping
    (window edges to 0 and 255, linear between), a quarter of the texture, and about 2 ms less per
    resliced view at 512 x 512 (``benchmarks/bench_render.py``).
    """

    def __init__(self, layer: ResliceLayer) -> None:
        self.window: WindowLevel | None = None
        self.scale = vtkImageShiftScale()
        self.scale.SetInputConnection(layer.output_port)
        self.scale.SetOutputScalarTypeToUnsignedChar()
        self.scale.ClampOverflowOn()
        self.actor = vtkImageActor()
        self.actor.GetMapper().SetInputConnection(self.scale.GetOutputPort())
        self.actor.GetProperty().SetInterpolationTypeToLinear()
        self.actor.SetPickable(False)
        self.set_window(WindowLevel(center=127.5, width=255.0))

    def set_window(self, window: WindowLevel) -> None:
        if window == self.window:
            return
        self.window = window
        width = max(float(window.width), 1e-6)
        scale = 255.0 / width
        # the filter truncates to 8 bits; half a grey step more rounds to the nearest instead
        self.scale.SetShift(-(float(window.center) - width / 2) + 0.5 / scale)
        self.scale.SetScale(scale)


OVERLAY_PIXEL_MM = 2.0  # the heat map's own pixels: its structure is token-sized (centimetres)


def coarse_grid(grid: PlaneGrid, *, pixel_mm: float | None = None) -> PlaneGrid:
    """``grid``'s area sampled with pixels of about ``pixel_mm`` (default ``OVERLAY_PIXEL_MM``;
    never finer than ``grid``).

    The coarse pixels tile the same area as the fine ones (first and last edges coincide within one
    coarse pixel), and the image keeps its origin and spacing, so the overlay lies on the same
    patient millimetres; the actor interpolates its texture, so edges stay smooth on screen.
    """
    factor = max(1, int((OVERLAY_PIXEL_MM if pixel_mm is None else pixel_mm) / grid.spacing))
    if factor == 1:
        return grid
    spacing = grid.spacing * factor
    size = (-(-grid.size[0] // factor), -(-grid.size[1] // factor))
    shift = (factor - 1) * grid.spacing / 2  # the coarse pixel's centre within its fine pixels
    return PlaneGrid((grid.origin_uv[0] + shift, grid.origin_uv[1] + shift), spacing, size)


class OverlayLayer:
    """A colour-mapped, thresholded volume (e.g. a saliency map) on the view's plane.

    Resliced on a coarser grid (:func:`coarse_grid`): a heat map has no fine detail, and the small
    image keeps :meth:`crop_to_content` cheap. The crop and plain alpha blending (see
    ``SliceScene``) are what make the overlay cheap to draw; the coarse reslice alone measured no
    faster than a full-resolution one (``benchmarks/bench_render_heat.py``)."""

    def __init__(self) -> None:
        self.layer = ResliceLayer()
        self.table = vtkLookupTable()
        self.colors = vtkImageMapToColors()
        self.colors.SetLookupTable(self.table)
        self.colors.SetOutputFormatToRGBA()
        self.colors.SetInputConnection(self.layer.output_port)
        self.actor = vtkImageActor()
        self.actor.GetMapper().SetInputConnection(self.colors.GetOutputPort())
        self.actor.GetProperty().SetInterpolationTypeToLinear()
        self.actor.SetPickable(False)
        self.actor.SetVisibility(False)

    def set_grid(self, grid: PlaneGrid) -> None:
        """The view's grid; the overlay samples it coarsely."""
        self.layer.set_grid(coarse_grid(grid))

    def crop_to_content(self) -> None:
        """Draw only the box of pixels that are not fully transparent (plus a one-pixel margin).

        Why: under software GL a blended layer costs per screen pixel it covers, and most of a
        thresholded heat map is transparent. Runs the (coarse) reslice now, which rendering would
        run anyway; about a millisecond.
        """
        if self.layer.volume is None:
            return
        self.colors.Update()
        image = self.colors.GetOutput()
        nx, ny, _ = image.GetDimensions()
        alpha = vtk_to_numpy(image.GetPointData().GetScalars())[:, 3].reshape(ny, nx)
        rows, cols = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
        x0, _x1, y0, _y1, z0, _z1 = image.GetExtent()
        if not len(rows):  # nothing above the threshold on this plane: one transparent pixel
            self.actor.SetDisplayExtent(x0, x0, y0, y0, z0, z0)
            return
        c0, c1 = max(cols[0] - 1, 0), min(cols[-1] + 1, nx - 1)
        r0, r1 = max(rows[0] - 1, 0), min(rows[-1] + 1, ny - 1)
        self.actor.SetDisplayExtent(x0 + c0, x0 + c1, y0 + r0, y0 + r1, z0, z0)

    def set_volume(self, volume: Volume | None, *, table: vtkLookupTable | None = None) -> None:
        """Show ``volume`` through ``table`` (values below its range are transparent), or hide."""
        if volume is None or table is None:
            self.layer.volume = None
            self.actor.SetVisibility(False)
            return
        low, _high = table.GetTableRange()
        self.layer.set_volume(volume, background=low - 1.0)
        self.table.DeepCopy(table)
        self.table.SetUseBelowRangeColor(True)
        self.table.SetBelowRangeColor(0, 0, 0, 0)
        self.colors.SetLookupTable(self.table)
        self.actor.SetVisibility(True)

    @property
    def output_port(self):
        """The coloured (RGBA) plane; the 3D view stacks it on its slice."""
        return self.colors.GetOutputPort()

    @property
    def shown(self) -> bool:
        return self.layer.volume is not None and bool(self.actor.GetVisibility())

    @property
    def opacity(self) -> float:
        return float(self.actor.GetProperty().GetOpacity())

    def set_opacity(self, opacity: float) -> None:
        self.actor.GetProperty().SetOpacity(opacity)
