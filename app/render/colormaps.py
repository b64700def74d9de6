"""Lookup tables for overlays (saliency heatmaps and similar)."""

from __future__ import annotations

import numpy as np
from vtkmodules.vtkCommonCore import vtkLookupTable

from app.state import OverlayColormap

# Control points (position 0..1, r, g, b), our own simple approximations of the classic maps.
_POINTS = {
    OverlayColormap.HOT: [
        (0.0, 0.5, 0.0, 0.0),
        (0.4, 1.0, 0.2, 0.0),
        (0.75, 1.0, 0.8, 0.0),
        (1.0, 1.0, 1.0, 0.8),
    ],
    OverlayColormap.JET: [
        (0.0, 0.0, 0.0, 0.6),
        (0.35, 0.0, 0.8, 1.0),
        (0.65, 1.0, 1.0, 0.0),
        (1.0, 0.7, 0.0, 0.0),
    ],
    OverlayColormap.VIRIDIS: [(0.0, 0.27, 0.0, 0.33), (0.5, 0.13, 0.57, 0.55), (1.0, 0.99, 0.91, 0.14)],
}


def overlay_table(
    colormap: OverlayColormap | str, *, low: float, high: float, entries: int = 256
) -> vtkLookupTable:
    """A table mapping ``[low, high]`` through ``colormap``; values below ``low`` are transparent."""
    points = np.array(_POINTS[OverlayColormap(colormap)])
    positions = np.linspace(0.0, 1.0, entries)
    rgb = np.stack([np.interp(positions, points[:, 0], points[:, c]) for c in (1, 2, 3)], axis=1)
    table = vtkLookupTable()
    table.SetNumberOfTableValues(entries)
    table.SetTableRange(low, high if high > low else low + 1e-6)
    for index, (r, g, b) in enumerate(rgb):
        table.SetTableValue(index, r, g, b, 1.0)
    table.SetUseBelowRangeColor(True)
    table.SetBelowRangeColor(0.0, 0.0, 0.0, 0.0)
    table.Build()
    return table
