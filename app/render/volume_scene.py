"""The 3D scene: the three current slices placed in patient space, or a volume rendering.

Plane mode reuses the 2D views' reslice outputs (no extra reslicing), each image placed by its
view's plane matrix; it stays fluid with software OpenGL. Each plane is a ``vtkImageStack`` of the
grey slice and, above it, the 2D view's coloured heat map (its own RGBA output, so the 3D view
shows exactly the colours, threshold and opacity of the 2D overlay, at no extra reslicing cost).
Volume mode ray-casts the series with ``vtkSmartVolumeMapper``, placed by the volume's affine.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
from vtkmodules.vtkCommonCore import vtkLookupTable
from vtkmodules.vtkCommonDataModel import vtkPiecewiseFunction
from vtkmodules.vtkCommonExecutionModel import vtkAlgorithmOutput
from vtkmodules.vtkFiltersSources import vtkOutlineSource
from vtkmodules.vtkRenderingAnnotation import vtkAnnotatedCubeActor
from vtkmodules.vtkRenderingCore import (
    vtkActor,
    vtkColorTransferFunction,
    vtkImageSlice,
    vtkImageSliceMapper,
    vtkPolyDataMapper,
    vtkRenderer,
    vtkVolume,
    vtkVolumeProperty,
)
from vtkmodules.vtkRenderingImage import vtkImageStack
from vtkmodules.vtkRenderingVolumeOpenGL2 import vtkSmartVolumeMapper

from app import theme
from app.render.heat_surface import HeatSurface
from app.render.vtk_image import index_space_image, to_vtk_matrix
from prima_core.io.volume import Volume
from prima_core.windowing import WindowLevel


class VolumeMode(StrEnum):
    PLANES = "planes"
    VOLUME = "volume"


class VolumeScene:
    def __init__(self) -> None:
        self.renderer = vtkRenderer()
        self.renderer.SetBackground(*theme.rgb(theme.VIEW_BACKGROUND))
        self.planes: dict[str, vtkImageSlice] = {}  # the grey slices
        self.heat_planes: dict[str, vtkImageSlice] = {}  # the heat map over each slice
        self._stacks: dict[str, vtkImageStack] = {}
        self._placed: dict[str, tuple] = {}  # name -> (plane matrix, window) last applied
        self.outline_source = vtkOutlineSource()
        mapper = vtkPolyDataMapper()
        mapper.SetInputConnection(self.outline_source.GetOutputPort())
        self.outline = vtkActor()
        self.outline.SetMapper(mapper)
        self.outline.GetProperty().SetColor(*theme.rgb(theme.MUTED))
        self.outline.GetProperty().SetOpacity(0.6)
        self.outline.SetVisibility(False)
        self.renderer.AddActor(self.outline)
        self.volume_actor = vtkVolume()
        self.volume_actor.SetVisibility(False)
        self.renderer.AddVolume(self.volume_actor)
        self.mode = VolumeMode.PLANES
        self.volume: Volume | None = None
        self.heat_surface = HeatSurface()  # the heat over a volume rendering

    def add_plane(
        self, name: str, output_port: vtkAlgorithmOutput, *, heat_port: vtkAlgorithmOutput | None = None
    ) -> vtkImageSlice:
        """A slice fed by a 2D view's reslice output, with that view's RGBA heat map stacked on it.

        The stack draws both coincident images in layer order (no z-fighting); it carries the
        plane matrix, so the heat map lies exactly where its slice lies.
        """
        actor = _image_actor(output_port, layer=0)
        stack = vtkImageStack()
        stack.AddImage(actor)
        if heat_port is not None:  # joins the stack while shown: a hidden map may have no input
            self.heat_planes[name] = _image_actor(heat_port, layer=1)
        stack.SetActiveLayer(0)
        stack.PickableOff()
        stack.SetVisibility(False)
        self.renderer.AddViewProp(stack)
        self.planes[name] = actor
        self._stacks[name] = stack
        return actor

    def update_plane(self, name: str, *, plane_matrix: np.ndarray | None, window: WindowLevel | None) -> None:
        """Place one slice and map it through ``window``; unchanged inputs cost nothing."""
        actor = self.planes[name]
        shown = plane_matrix is not None and self.mode == VolumeMode.PLANES
        actor.SetVisibility(shown)
        self._stacks[name].SetVisibility(shown)  # a hidden stack must not count in the scene's bounds
        previous_matrix, previous_window = self._placed.get(name, (None, None))
        if plane_matrix is not None and (
            previous_matrix is None or not np.array_equal(plane_matrix, previous_matrix)
        ):
            self._stacks[name].SetUserMatrix(to_vtk_matrix(plane_matrix))
        if window is not None and window != previous_window:
            actor.GetProperty().SetLookupTable(_plane_table(window))
            actor.GetProperty().UseLookupTableScalarRangeOn()
        self._placed[name] = (plane_matrix, window if window is not None else previous_window)

    def update_heat(self, name: str, *, shown: bool, opacity: float) -> None:
        """Show the heat map over one slice (only where that slice is shown, in plane mode)."""
        heat = self.heat_planes.get(name)
        if heat is None:
            return
        shown = shown and bool(self.planes[name].GetVisibility())
        heat.SetVisibility(shown)
        stack = self._stacks[name]
        if shown and not stack.HasImage(heat):
            stack.AddImage(heat)
        elif not shown and stack.HasImage(heat):
            stack.RemoveImage(heat)
        if heat.GetProperty().GetOpacity() != opacity:
            heat.GetProperty().SetOpacity(opacity)

    def heat_shown(self) -> bool:
        """Whether any heat is drawn: on a slice, or as surfaces over the volume rendering."""
        return self.heat_surface.visible or any(a.GetVisibility() for a in self.heat_planes.values())

    def set_volume(self, volume: Volume | None) -> None:
        """The series whose box is outlined (and ray-cast in volume mode)."""
        if volume is self.volume:
            return
        self.volume = volume
        if volume is None:
            self.outline.SetVisibility(False)
            self.volume_actor.SetVisibility(False)
            return
        ni, nj, nk = volume.shape_ijk
        self.outline_source.SetBounds(-0.5, ni - 0.5, -0.5, nj - 0.5, -0.5, nk - 0.5)
        self.outline.SetUserMatrix(to_vtk_matrix(volume.affine))
        self.outline.SetVisibility(True)
        mapper = vtkSmartVolumeMapper()
        mapper.SetInputData(index_space_image(volume))
        self.volume_actor.SetMapper(mapper)
        self.volume_actor.SetUserMatrix(to_vtk_matrix(volume.affine))
        self._apply_mode()

    def set_transfer(self, window: WindowLevel) -> None:
        """Map the series' window to grey and to an opacity ramp (dark = transparent)."""
        opacity = vtkPiecewiseFunction()
        opacity.AddPoint(window.lower, 0.0)
        opacity.AddPoint(window.upper, 0.35)
        color = vtkColorTransferFunction()
        color.AddRGBPoint(window.lower, 0.0, 0.0, 0.0)
        color.AddRGBPoint(window.upper, 1.0, 1.0, 1.0)
        prop = vtkVolumeProperty()
        prop.SetScalarOpacity(opacity)
        prop.SetColor(color)
        prop.SetInterpolationTypeToLinear()
        prop.ShadeOff()
        self.volume_actor.SetProperty(prop)

    def set_mode(self, mode: VolumeMode | str) -> None:
        self.mode = VolumeMode(mode)
        self._apply_mode()

    def _apply_mode(self) -> None:
        volume_mode = self.mode == VolumeMode.VOLUME and self.volume is not None
        self.volume_actor.SetVisibility(volume_mode)
        if volume_mode:
            for name, actor in self.planes.items():
                actor.SetVisibility(False)
                self._stacks[name].SetVisibility(False)
                self.update_heat(name, shown=False, opacity=1.0)

    def reset_camera(self) -> None:
        """Look at the patient from the front, head up (patient's right on the screen's left)."""
        if self.volume is None:
            return
        center = self.volume.center_lps()
        radius = float(np.linalg.norm(self.volume.corners_lps() - center, axis=1).max())
        camera = self.renderer.GetActiveCamera()
        camera.SetFocalPoint(*center)
        # from the front, a little from the patient's left and above, so all three planes show
        direction = np.array([0.45, -1.0, 0.35]) / np.linalg.norm([0.45, -1.0, 0.35])
        camera.SetPosition(*(center + 3.2 * radius * direction))
        camera.SetViewUp(0.0, 0.0, 1.0)
        camera.SetViewAngle(30.0)
        self.renderer.ResetCameraClippingRange()


def _image_actor(port: vtkAlgorithmOutput, *, layer: int) -> vtkImageSlice:
    """One layer of a plane's stack (a ``vtkImageActor`` in a stack shows RGBA colours wrongly)."""
    mapper = vtkImageSliceMapper()
    mapper.SetInputConnection(port)
    actor = vtkImageSlice()
    actor.SetMapper(mapper)
    actor.GetProperty().SetInterpolationTypeToLinear()
    actor.GetProperty().SetLayerNumber(layer)
    actor.SetPickable(False)
    actor.SetVisibility(False)
    return actor


def _plane_table(window: WindowLevel, *, entries: int = 256, clear_fraction: float = 0.04) -> vtkLookupTable:
    """A grey ramp over the window; its darkest entries are transparent so air hides no other slice."""
    table = vtkLookupTable()
    table.SetNumberOfTableValues(entries)
    table.SetTableRange(window.lower, window.upper)
    for index in range(entries):
        grey = index / (entries - 1)
        table.SetTableValue(index, grey, grey, grey, 0.0 if grey < clear_fraction else 1.0)
    table.SetUseBelowRangeColor(True)
    table.SetBelowRangeColor(0.0, 0.0, 0.0, 0.0)
    table.Build()
    return table


def orientation_cube() -> vtkAnnotatedCubeActor:
    """A small cube whose faces name the patient directions (LPS world: +x is Left)."""
    cube = vtkAnnotatedCubeActor()
    for face, text in zip(("X", "Y", "Z"), (("R", "L"), ("A", "P"), ("I", "S")), strict=True):
        getattr(cube, f"Set{face}MinusFaceText")(text[0])
        getattr(cube, f"Set{face}PlusFaceText")(text[1])
    cube.SetFaceTextScale(0.6)
    cube.GetCubeProperty().SetColor(*theme.rgb(theme.RAISED))
    cube.GetTextEdgesProperty().SetColor(*theme.rgb(theme.MUTED))
    for prop in (cube.GetXPlusFaceProperty(), cube.GetXMinusFaceProperty(), cube.GetYPlusFaceProperty()):
        prop.SetColor(*theme.rgb(theme.TEXT))
    for prop in (cube.GetYMinusFaceProperty(), cube.GetZPlusFaceProperty(), cube.GetZMinusFaceProperty()):
        prop.SetColor(*theme.rgb(theme.TEXT))
    return cube
