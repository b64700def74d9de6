"""The linked crosshair: two lines through the cursor, with a gap so the voxel under it stays visible."""

from __future__ import annotations

from vtkmodules.vtkCommonCore import vtkPoints, vtkUnsignedCharArray
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper

from app import theme

LIFT = 0.5  # mm in front of the image plane, towards the camera


class CrosshairActor:
    """Four segments; the vertical pair has the colour of the plane it stands for, likewise the horizontal."""

    def __init__(self, *, vertical_color: str, horizontal_color: str) -> None:
        self.position: tuple[float, float] | None = None  # (u, v) the lines were last drawn through
        self._points = vtkPoints()
        self._points.SetNumberOfPoints(8)
        lines = vtkCellArray()
        colors = vtkUnsignedCharArray()
        colors.SetNumberOfComponents(3)
        for segment, color in enumerate((vertical_color, vertical_color, horizontal_color, horizontal_color)):
            lines.InsertNextCell(2)
            lines.InsertCellPoint(2 * segment)
            lines.InsertCellPoint(2 * segment + 1)
            r, g, b = (int(255 * c) for c in theme.rgb(color))
            colors.InsertNextTuple3(r, g, b)
        self._poly = vtkPolyData()
        self._poly.SetPoints(self._points)
        self._poly.SetLines(lines)
        self._poly.GetCellData().SetScalars(colors)
        mapper = vtkPolyDataMapper()
        mapper.SetInputData(self._poly)
        mapper.SetScalarModeToUseCellData()
        self.actor = vtkActor()
        self.actor.SetMapper(mapper)
        self.actor.GetProperty().SetLineWidth(1.0)
        # opaque on purpose: a translucent actor adds a blending pass that costs ~40 % of a frame
        # with software OpenGL; the muted plane colours keep the lines quiet instead
        self.actor.SetPickable(False)

    def update(self, *, u: float, v: float, bounds: tuple[float, float, float, float], gap: float) -> None:
        """Lines through (u, v) across ``bounds`` (u_min, u_max, v_min, v_max), open by ``gap`` mm."""
        self.position = (float(u), float(v))
        u0, u1, v0, v1 = bounds
        points = (
            (u, v0), (u, max(v0, v - gap)), (u, min(v1, v + gap)), (u, v1),
            (u0, v), (max(u0, u - gap), v), (min(u1, u + gap), v), (u1, v),
        )  # fmt: skip
        for index, (x, y) in enumerate(points):
            self._points.SetPoint(index, x, y, LIFT)
        self._points.Modified()
        self._poly.Modified()

    def set_visible(self, visible: bool) -> None:
        self.actor.SetVisibility(visible)
