"""The 3D scene: the three current slices placed in patient space, or a volume rendering.

Plane mode reuses the 2D views' reslice outputs (no extra reslicing), each image placed by its
view's plane matrix; it stays fluid with software OpenGL. Volume mode ray-casts the series with
``vtkSmartVolumeMapper``, placed by the volume's affine.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
from vtkmodules.vtkCommonCore import vtkLookupTable
from vtkmodules.vtkCommonDataModel import vtkPiecewiseFunction
from vtkmodules.vtkFiltersSources import vtkOutlineSource
from vtkmodules.vtkRenderingAnnotation import vtkAnnotatedCubeActor
from vtkmodules.vtkRenderingCore import (
    vtkActor,
    vtkColorTransferFunction,
    vtkImageActor,
    vtkPolyDataMapper,
    vtkRenderer,
    vtkVolume,
    vtkVolumeProperty,
)
from vtkmodules.vtkRenderingVolumeOpenGL2 import vtkSmartVolumeMapper

from app import theme
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
        self.planes: dict[str, vtkImageActor] = {}
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

    def add_plane(self, name: str, output_port) -> vtkImageActor:
        actor = vtkImageActor()
        actor.GetMapper().SetInputConnection(output_port)
        actor.GetProperty().SetInterpolationTypeToLinear()
        actor.SetVisibility(False)
        self.renderer.AddActor(actor)
        self.planes[name] = actor
        return actor

    def update_plane(self, name: str, *, plane_matrix: np.ndarray | None, window: WindowLevel | None) -> None:
        """Place one slice and map it through ``window``; unchanged inputs cost nothing."""
        actor = self.planes[name]
        actor.SetVisibility(plane_matrix is not None and self.mode == VolumeMode.PLANES)
        previous_matrix, previous_window = self._placed.get(name, (None, None))
        if plane_matrix is not None and (
            previous_matrix is None or not np.array_equal(plane_matrix, previous_matrix)
        ):
            actor.SetUserMatrix(to_vtk_matrix(plane_matrix))
        if window is not None and window != previous_window:
            actor.GetProperty().SetLookupTable(_plane_table(window))
            actor.GetProperty().UseLookupTableScalarRangeOn()
        self._placed[name] = (plane_matrix, window if window is not None else previous_window)

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
        for actor in self.planes.values():
            if volume_mode:
                actor.SetVisibility(False)

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
