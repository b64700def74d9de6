"""Screenshots of the whole window with the real rendered VTK content.

``QWidget.grab()`` paints Qt widgets but not native OpenGL child windows (they come out black),
so each visible VTK render window is read back with ``vtkWindowToImageFilter`` and painted over
the grab at its place.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QWidget
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkRenderingCore import vtkWindowToImageFilter

from app.widgets.vtk_canvas import VtkCanvas


def render_window_image(canvas: VtkCanvas) -> QImage:
    """Render a canvas and read its pixels back as a QImage (device pixels)."""
    canvas.render_now()
    capture = vtkWindowToImageFilter()
    capture.SetInput(canvas.GetRenderWindow())
    capture.SetInputBufferTypeToRGB()
    capture.ReadFrontBufferOff()
    capture.Update()
    image = capture.GetOutput()
    width, height, _ = image.GetDimensions()
    pixels = vtk_to_numpy(image.GetPointData().GetScalars()).reshape(height, width, 3)
    pixels = np.ascontiguousarray(pixels[::-1])  # VTK rows start at the bottom
    return QImage(pixels.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def grab_window(window: QWidget) -> QImage:
    """The window as the reader sees it, VTK views included."""
    image = window.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    ratio = image.devicePixelRatio()
    painter = QPainter(image)
    for canvas in window.findChildren(VtkCanvas):
        if not canvas.isVisible():
            continue
        top_left = canvas.mapTo(window, QPoint(0, 0))
        target = QRect(top_left.x(), top_left.y(), canvas.width(), canvas.height())
        painter.drawImage(target, render_window_image(canvas))
    painter.end()
    image.setDevicePixelRatio(ratio)
    return image


def canvas_pixels(canvas: VtkCanvas) -> np.ndarray:
    """One view's rendered pixels as an ``(rows, cols, 3)`` uint8 array, row 0 at the top."""
    image = render_window_image(canvas)
    width, height = image.width(), image.height()
    buffer = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    return buffer.reshape(height, image.bytesPerLine())[:, : 3 * width].reshape(height, width, 3).copy()
