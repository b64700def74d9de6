"""In-view text: orientation letters on the four edges, slice information, and a scale bar."""

from __future__ import annotations

from vtkmodules.vtkCommonCore import vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkRenderingCore import vtkActor2D, vtkPolyDataMapper2D, vtkRenderer, vtkTextActor

from app import theme

# (normalized x, y, horizontal justification, vertical justification) per edge.
_EDGES = {
    "left": (0.012, 0.5, "Left", "Centered"),
    "right": (0.988, 0.5, "Right", "Centered"),
    "top": (0.5, 0.985, "Centered", "Top"),
    "bottom": (0.5, 0.015, "Centered", "Bottom"),
}


def text_actor(*, size: int = 13, color: str = theme.TEXT, bold: bool = False) -> vtkTextActor:
    actor = vtkTextActor()
    prop = actor.GetTextProperty()
    prop.SetFontFamilyToArial()
    prop.SetFontSize(size)
    prop.SetColor(*theme.rgb(color))
    prop.SetBold(bold)
    prop.SetShadow(True)
    prop.SetShadowOffset(1, -1)
    actor.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
    actor.SetPickable(False)
    return actor


def _place(actor: vtkTextActor, x: float, y: float, horizontal: str, vertical: str) -> None:
    prop = actor.GetTextProperty()
    getattr(prop, f"SetJustificationTo{horizontal}")()
    getattr(prop, f"SetVerticalJustificationTo{vertical}")()
    actor.SetPosition(x, y)


class ViewAnnotations:
    """Edge letters (from the view's axes in LPS), a slice line bottom-left and a scale bar."""

    def __init__(self, renderer: vtkRenderer) -> None:
        self.edges = {}
        for edge, (x, y, h, v) in _EDGES.items():
            actor = text_actor(size=15, bold=True)
            _place(actor, x, y, h, v)
            renderer.AddViewProp(actor)
            self.edges[edge] = actor
        self.slice_text = text_actor(size=12, color=theme.MUTED)
        _place(self.slice_text, 0.012, 0.015, "Left", "Bottom")
        renderer.AddViewProp(self.slice_text)
        self.scale_bar = ScaleBar(renderer)

    def set_edge_labels(self, labels: dict[str, str]) -> None:
        for edge, actor in self.edges.items():
            actor.SetInput(labels.get(edge, ""))

    def set_slice_text(self, text: str) -> None:
        self.slice_text.SetInput(text)

    def set_visible(self, visible: bool) -> None:
        for actor in (*self.edges.values(), self.slice_text):
            actor.SetVisibility(visible)
        self.scale_bar.set_visible(visible)


class ScaleBar:
    """A horizontal bar of a round length in mm, drawn in display pixels at the bottom right."""

    def __init__(self, renderer: vtkRenderer) -> None:
        self._points = vtkPoints()
        self._points.SetNumberOfPoints(6)
        lines = vtkCellArray()
        for a, b in ((0, 1), (2, 3), (4, 5)):
            lines.InsertNextCell(2)
            lines.InsertCellPoint(a)
            lines.InsertCellPoint(b)
        poly = vtkPolyData()
        poly.SetPoints(self._points)
        poly.SetLines(lines)
        mapper = vtkPolyDataMapper2D()
        mapper.SetInputData(poly)
        self.bar = vtkActor2D()
        self.bar.SetMapper(mapper)
        self.bar.GetProperty().SetColor(*theme.rgb(theme.MUTED))
        self.bar.GetProperty().SetLineWidth(1.5)
        self.label = text_actor(size=11, color=theme.MUTED)
        self.label.GetPositionCoordinate().SetCoordinateSystemToDisplay()
        _place(self.label, 0, 0, "Centered", "Bottom")
        renderer.AddViewProp(self.bar)
        renderer.AddViewProp(self.label)
        self._poly = poly

    def update(
        self, *, length_mm: float, length_px: float, width_px: int, height_px: int, scale: float
    ) -> None:
        """Place a bar ``length_px`` long (``length_mm`` in the image) near the bottom-right corner."""
        right = width_px - 16 * scale
        left = right - length_px
        base = 18 * scale
        tick = 5 * scale
        for index, (x, y) in enumerate(
            (
                (left, base),
                (right, base),
                (left, base - tick),
                (left, base + tick),
                (right, base - tick),
                (right, base + tick),
            )
        ):
            self._points.SetPoint(index, x, y, 0.0)
        self._points.Modified()
        self._poly.Modified()
        self.label.SetInput(f"{length_mm:g} mm")
        self.label.SetPosition((left + right) / 2, base + 4 * scale)

    def set_visible(self, visible: bool) -> None:
        self.bar.SetVisibility(visible)
        self.label.SetVisibility(visible)
