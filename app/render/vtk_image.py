"""Hand numpy arrays to VTK and back without copying where possible."""

from __future__ import annotations

import numpy as np
from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy
from vtkmodules.vtkCommonDataModel import vtkImageData
from vtkmodules.vtkCommonMath import vtkMatrix4x4

from prima_core.io.volume import Volume

_VTK_FRIENDLY = (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.float32, np.float64)


def index_space_image(volume: Volume) -> vtkImageData:
    """The voxels as a VTK image in index space (origin 0, spacing 1, no direction).

    The affine is applied by the reslice axes or the actor's user matrix instead, so oblique
    and sheared acquisitions are placed exactly as the core says.
    """
    array = volume.array
    if array.dtype.type not in _VTK_FRIENDLY:
        array = array.astype(np.float32)
    array = np.ascontiguousarray(array)
    nk, nj, ni = array.shape
    image = vtkImageData()
    image.SetDimensions(ni, nj, nk)
    scalars = numpy_to_vtk(array.reshape(-1), deep=False)
    scalars._prima_keepalive = array  # numpy memory must outlive the VTK array
    image.GetPointData().SetScalars(scalars)
    return image


def to_vtk_matrix(matrix: np.ndarray, out: vtkMatrix4x4 | None = None) -> vtkMatrix4x4:
    """Copy a 4x4 numpy matrix into a (new or given) vtkMatrix4x4."""
    target = out if out is not None else vtkMatrix4x4()
    for row in range(4):
        for col in range(4):
            target.SetElement(row, col, float(matrix[row, col]))
    target.Modified()
    return target


def image_pixels(image: vtkImageData) -> np.ndarray:
    """A 2D VTK image as a numpy array ``(rows, cols)``, row 0 at the lowest y."""
    dims = image.GetDimensions()
    scalars = image.GetPointData().GetScalars()
    array = vtk_to_numpy(scalars)
    if array.ndim > 1:
        array = array[:, 0]
    return array.reshape(dims[1], dims[0]).copy()
