"""The heat-map overlay of a 2D view: coarse sampling grid and cropping to its visible pixels."""

from __future__ import annotations

import numpy as np

from app.render.colormaps import overlay_table
from app.render.reslice_layer import OverlayLayer, coarse_grid
from prima_core.geometry import PlaneGrid
from prima_core.io.volume import Volume


def test_coarse_grid_tiles_the_same_area():
    fine = PlaneGrid((-50.0, -20.0), 0.5, (201, 100))
    coarse = coarse_grid(fine, pixel_mm=2.0)
    assert coarse.spacing == 2.0 and coarse.size == (51, 25)  # 4 fine pixels each, last one partial
    # the first coarse pixel's centre is the centre of the first four fine pixels
    assert coarse.origin_uv == (-50.0 + 0.75, -20.0 + 0.75)
    fine_u0, _fu1, fine_v0, fine_v1 = fine.extent_uv
    u0, u1, v0, v1 = coarse.extent_uv
    assert u0 - coarse.spacing / 2 == fine_u0 - fine.spacing / 2  # same left edge
    assert v1 + coarse.spacing / 2 >= fine_v1 + fine.spacing / 2  # covers the far edge
    assert coarse_grid(PlaneGrid((0.0, 0.0), 2.5, (10, 10)), pixel_mm=2.0).spacing == 2.5  # never finer


def _overlay_with_block(value: float) -> OverlayLayer:
    array = np.zeros((20, 100, 100), dtype=np.float32)  # k, j, i at 1 mm
    array[:, 60:71, 40:51] = value  # a hot block: x 40..50 mm, y 60..70 mm
    volume = Volume(array, np.eye(4))
    overlay = OverlayLayer()
    overlay.set_volume(volume, table=overlay_table("hot", low=0.25, high=1.0))
    overlay.set_grid(PlaneGrid((0.0, 0.0), 0.5, (200, 200)))  # view mm = LPS x, y on the plane z = 5
    plane = np.eye(4)
    plane[2, 3] = 5.0
    overlay.layer.set_plane(plane)
    overlay.crop_to_content()
    return overlay


def test_crop_keeps_the_hot_block_and_drops_the_transparent_rest():
    overlay = _overlay_with_block(1.0)
    grid = overlay.layer.grid
    assert grid.spacing == 2.0
    c0, c1, r0, r1, _z0, _z1 = overlay.actor.GetDisplayExtent()
    x0, y0 = grid.pixel_to_uv(c0, r0)
    x1, y1 = grid.pixel_to_uv(c1, r1)
    assert x0 <= 40 and x1 >= 50 and y0 <= 60 and y1 >= 70  # the whole block is drawn
    assert x0 > 40 - 6 and x1 < 50 + 6 and y0 > 60 - 6 and y1 < 70 + 6  # and little else
    drawn = (c1 - c0 + 1) * (r1 - r0 + 1)
    assert drawn < 0.05 * grid.size[0] * grid.size[1]  # the block is 4 % of the plane


def test_nothing_above_the_threshold_draws_one_transparent_pixel():
    overlay = _overlay_with_block(0.1)
    c0, c1, r0, r1, _z0, _z1 = overlay.actor.GetDisplayExtent()
    assert (c1 - c0, r1 - r0) == (0, 0)
