"""VTK pipelines and actors that draw core objects; no Qt here and no computation."""

# Rendering and text back-ends that VTK registers on import (object factories).
import vtkmodules.vtkInteractionStyle  # noqa: F401
import vtkmodules.vtkRenderingFreeType  # noqa: F401
import vtkmodules.vtkRenderingOpenGL2  # noqa: F401
import vtkmodules.vtkRenderingVolumeOpenGL2  # noqa: F401
