"""Drawn measurements: a ruler line or an ROI outline with its label, in view millimetres."""

from __future__ import annotations

import numpy as np
from vtkmodules.vtkCommonCore import vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper, vtkRenderer

from app import theme
from app.render.annotations import text_actor
from app.render.crosshair import LIFT


def ellipse_outline(a_uv, b_uv, *, segments: int = 72) -> np.ndarray:
    """Points of the ellipse inscribed in the box with corners ``a`` and ``b``."""
    center = (np.asarray(a_uv) + np.asarray(b_uv)) / 2
    half = np.abs(np.asarray(b_uv) - np.asarray(a_uv)) / 2
    t = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    return np.column_stack([center[0] + half[0] * np.cos(t), center[1] + half[1] * np.sin(t)])


def rectangle_outline(a_uv, b_uv) -> np.ndarray:
    (ua, va), (ub, vb) = a_uv, b_uv
    return np.array([[ua, va], [ub, va], [ub, vb], [ua, vb]], dtype=np.float64)


class MeasurementGraphic:
    """One outline (open or closed) and a label placed in view coordinates."""

    def __init__(self, renderer: vtkRenderer) -> None:
        self._renderer = renderer
        self._poly = vtkPolyData()
        mapper = vtkPolyDataMapper()
        mapper.SetInputData(self._poly)
        self.actor = vtkActor()
        self.actor.SetMapper(mapper)
        self.actor.GetProperty().SetColor(*theme.rgb(theme.ACCENT))
        self.actor.GetProperty().SetLineWidth(1.5)
        self.actor.GetProperty().SetPointSize(5)
        self.actor.GetProperty().SetRenderPointsAsSpheres(False)
        self.label = text_actor(size=12, color=theme.ACCENT)
        self.label.GetPositionCoordinate().SetCoordinateSystemToWorld()
        self.label.GetTextProperty().SetVerticalJustificationToBottom()
        renderer.AddActor(self.actor)
        renderer.AddViewProp(self.label)

    def set_outline(self, points_uv: np.ndarray, *, closed: bool, show_ends: bool = False) -> None:
        points = vtkPoints()
        for u, v in points_uv:
            points.InsertNextPoint(float(u), float(v), LIFT)
        lines = vtkCellArray()
        count = len(points_uv)
        lines.InsertNextCell(count + int(closed))
        for index in range(count):
            lines.InsertCellPoint(index)
        if closed:
            lines.InsertCellPoint(0)
        self._poly.SetPoints(points)
        self._poly.SetLines(lines)
        if show_ends:
            verts = vtkCellArray()
            for index in (0, count - 1):
                verts.InsertNextCell(1)
                verts.InsertCellPoint(index)
            self._poly.SetVerts(verts)
        self._poly.Modified()

    def set_label(self, text: str, *, at_uv: tuple[float, float]) -> None:
        self.label.SetInput(text)
        self.label.SetPosition(float(at_uv[0]), float(at_uv[1]))

    def set_visible(self, visible: bool) -> None:
        self.actor.SetVisibility(visible)
        self.label.SetVisibility(visible)

    def remove(self) -> None:
        self._renderer.RemoveActor(self.actor)
        self._renderer.RemoveViewProp(self.label)
