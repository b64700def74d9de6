"""The grey layer of a 2D view: its window/level mapping and its lighter sampling while dragging."""

from __future__ import annotations

import numpy as np
from vtkmodules.util.numpy_support import vtk_to_numpy

from app.render.reslice_layer import FAST_MAX_PIXELS, GreyImage, ResliceLayer
from prima_core.geometry import PlaneGrid
from prima_core.io.volume import Volume
from prima_core.windowing import WindowLevel


def _ramp_layer() -> ResliceLayer:
    """A volume whose value is its x coordinate in mm (0..399), 1 mm voxels, seen on z = 2."""
    array = np.broadcast_to(np.arange(400, dtype=np.int16), (5, 300, 400)).copy()
    layer = ResliceLayer()
    layer.set_volume(Volume(array, np.eye(4)))
    layer.set_grid(PlaneGrid((0.0, 0.0), 0.5, (799, 599)))
    plane = np.eye(4)
    plane[2, 3] = 2.0
    layer.set_plane(plane)
    return layer


def _grey_pixels(grey: GreyImage) -> np.ndarray:
    grey.scale.Update()
    image = grey.scale.GetOutput()
    nx, ny, _ = image.GetDimensions()
    return vtk_to_numpy(image.GetPointData().GetScalars()).reshape(ny, nx)


def test_window_maps_its_edges_to_black_and_white_linearly():
    layer = _ramp_layer()
    grey = GreyImage(layer)
    grey.set_window(WindowLevel(center=200.0, width=100.0))  # 150 -> 0, 250 -> 255
    pixels = _grey_pixels(grey)
    assert pixels.dtype == np.uint8  # uploaded as 8-bit grey, no RGBA conversion
    row = pixels[10].astype(float)  # pixel c lies at x = 0.5 c mm
    assert row[2 * 100] == 0 and row[2 * 150] == 0  # below and at the lower edge
    assert row[2 * 250] == 255 and row[2 * 350] == 255  # at and above the upper edge
    assert abs(row[2 * 200] - 127.5) <= 1.0  # the centre is mid-grey
    assert abs(row[2 * 175] - 63.75) <= 1.0  # linear in between
    grey.set_window(WindowLevel(center=100.0, width=50.0))  # a new window changes the pixels
    assert _grey_pixels(grey)[10][2 * 100] in (127, 128)


def test_dragging_samples_fewer_pixels_over_the_same_area_and_release_restores_them():
    layer = _ramp_layer()
    full = layer.pixels()
    assert full.shape == (599, 799)
    layer.set_fast(True)
    coarse = layer.pixels()
    assert max(coarse.shape) <= FAST_MAX_PIXELS
    grid = layer.output_grid()
    assert grid.spacing == 1.5  # 799 pixels -> three per coarse pixel
    # same area: the coarse pixels span the fine grid's extent (to within one coarse pixel)
    fu0, fu1, fv0, fv1 = layer.grid.extent_uv
    u0, u1, v0, v1 = grid.extent_uv
    assert abs(u0 - fu0) <= grid.spacing and abs(v0 - fv0) <= grid.spacing
    assert u1 >= fu1 - grid.spacing and v1 >= fv1 - grid.spacing
    # and the same place: a coarse pixel shows the value at its own centre (value = x in mm)
    c = 100
    x = grid.pixel_to_uv(c, 0)[0]
    assert abs(float(coarse[0, c]) - x) <= 1.0
    layer.set_fast(False)
    assert layer.pixels().shape == full.shape and np.array_equal(layer.pixels(), full)


def test_small_planes_keep_their_resolution_while_dragging():
    layer = _ramp_layer()
    layer.set_grid(PlaneGrid((0.0, 0.0), 2.0, (200, 150)))
    layer.set_fast(True)
    assert layer.output_grid() == layer.grid
