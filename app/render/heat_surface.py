"""The heat map as translucent surfaces over the 3D view's volume rendering.

A volume rendering hides what lies inside the head, so the above-threshold heat is drawn as two
nested iso-surfaces (at the threshold, and halfway to the top of the scale), coloured through the
overlay's colour map and drawn in a renderer layer above the volume: the reader sees where the
heat lies in 3D through the head. The surfaces are placed by the heat map's own affine and are
recomputed only when the map or threshold changes, never when slices move.
"""

from __future__ import annotations

from vtkmodules.vtkFiltersCore import vtkFlyingEdges3D
from vtkmodules.vtkRenderingCore import vtkActor, vtkCamera, vtkPolyDataMapper, vtkRenderer, vtkRenderWindow

from app.render.colormaps import overlay_table
from app.render.vtk_image import index_space_image, to_vtk_matrix
from app.state import OverlayColormap
from prima_core.io.volume import Volume

LAYER = 1  # drawn after (over) the volume rendering in layer 0


class HeatSurface:
    def __init__(self) -> None:
        self.renderer = vtkRenderer()
        self.renderer.SetLayer(LAYER)
        self.renderer.InteractiveOff()
        self.contour = vtkFlyingEdges3D()
        self.contour.ComputeNormalsOn()
        self.contour.ComputeScalarsOn()
        self.mapper = vtkPolyDataMapper()
        self.mapper.SetInputConnection(self.contour.GetOutputPort())
        self.mapper.ScalarVisibilityOn()
        self.mapper.SetScalarModeToUsePointData()
        self.mapper.UseLookupTableScalarRangeOn()
        self.actor = vtkActor()
        self.actor.SetMapper(self.mapper)
        self.actor.SetPickable(False)
        self.actor.SetVisibility(False)
        prop = self.actor.GetProperty()
        prop.SetAmbient(0.35)
        prop.SetDiffuse(0.65)
        prop.SetSpecular(0.1)
        self.renderer.AddActor(self.actor)
        self._shown: tuple | None = None  # (map, colormap, threshold, high, opacity) drawn now

    def attach(self, window: vtkRenderWindow, camera: vtkCamera) -> None:
        """Draw in ``window``'s upper layer, seen through the scene's own camera."""
        window.SetNumberOfLayers(max(window.GetNumberOfLayers(), LAYER + 1))
        window.AddRenderer(self.renderer)
        self.renderer.SetActiveCamera(camera)

    @property
    def visible(self) -> bool:
        return bool(self.actor.GetVisibility())

    def show(
        self,
        heat: Volume | None,
        *,
        colormap: OverlayColormap | str = OverlayColormap.HOT,
        threshold: float = 0.0,
        opacity: float = 0.5,
        high: float = 1.0,
    ) -> bool:
        """Show ``heat`` above ``threshold`` (``None`` hides it); returns whether anything changed."""
        wanted = None if heat is None else (heat, OverlayColormap(colormap), threshold, high, opacity)
        if _same(wanted, self._shown):
            return False
        previous, self._shown = self._shown, wanted
        if heat is None:
            self.actor.SetVisibility(False)
            return True
        if previous is None or previous[0] is not heat or previous[2:4] != (threshold, high):
            self._contour(heat, threshold=threshold, high=high)
        self.mapper.SetLookupTable(overlay_table(colormap, low=threshold, high=high))
        self.actor.GetProperty().SetOpacity(opacity)
        self.actor.SetVisibility(True)
        return True

    def _contour(self, heat: Volume, *, threshold: float, high: float) -> None:
        self.contour.SetInputData(index_space_image(heat))
        self.contour.SetNumberOfContours(2)
        self.contour.SetValue(0, threshold)
        self.contour.SetValue(1, threshold + 0.5 * (high - threshold))
        self.actor.SetUserMatrix(to_vtk_matrix(heat.affine))


def _same(a: tuple | None, b: tuple | None) -> bool:
    if a is None or b is None:
        return a is b
    return a[0] is b[0] and a[1:] == b[1:]
