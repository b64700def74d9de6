"""A Qt widget holding one VTK render window, reporting mouse input as Qt signals.

2D views interpret the mouse themselves (tools, window/level, crosshair), so by default no event
reaches a VTK interactor style; the 3D view forwards mouse events to VTK's camera style. Keys are
never forwarded: VTK's default key bindings (e.g. 'e' exits, 'w' wireframe) must not act here, and
the window's own shortcuts handle the keyboard.
"""

from __future__ import annotations

from dataclasses import dataclass

import vtkmodules.qt

vtkmodules.qt.QVTKRWIBase = "QWidget"  # a native child window: fast and works under Xvfb/Mesa

from PySide6.QtCore import QEvent, Qt, Signal  # noqa: E402
from PySide6.QtGui import QMouseEvent, QWheelEvent  # noqa: E402
from PySide6.QtWidgets import QWidget  # noqa: E402
from vtkmodules.qt.QVTKRenderWindowInteractor import QVTKRenderWindowInteractor  # noqa: E402

import app.render  # noqa: E402,F401  (registers the OpenGL back-ends)


@dataclass(frozen=True)
class PointerEvent:
    """A mouse event in device pixels, origin at the bottom-left (VTK's display coordinates)."""

    x: float
    y: float
    button: Qt.MouseButton
    buttons: Qt.MouseButtons
    modifiers: Qt.KeyboardModifiers
    double: bool = False


class VtkCanvas(QVTKRenderWindowInteractor):
    pressed = Signal(object)
    moved = Signal(object)
    released = Signal(object)
    wheeled = Signal(float, object)  # notches (positive = away from the user), PointerEvent
    left_view = Signal()
    resized = Signal()

    def __init__(self, parent: QWidget | None = None, *, forward_to_vtk: bool = False) -> None:
        super().__init__(parent)
        self._forward = forward_to_vtk
        # Images need no multisampling, and with software OpenGL it costs more than the drawing itself.
        self.GetRenderWindow().SetMultiSamples(0)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(120, 120)
        self.render_count = 0

    def pixel_ratio(self) -> float:
        return float(self.devicePixelRatioF())

    def size_px(self) -> tuple[int, int]:
        ratio = self.pixel_ratio()
        return int(round(self.width() * ratio)), int(round(self.height() * ratio))

    def render_now(self) -> None:
        """Render now (GUI thread only)."""
        if self.isVisible():
            self.GetRenderWindow().Render()
            self.render_count += 1

    def _pointer(self, event: QMouseEvent | QWheelEvent, *, double: bool = False) -> PointerEvent:
        ratio = self.pixel_ratio()
        pos = event.position()
        button = event.button() if isinstance(event, QMouseEvent) else Qt.MouseButton.NoButton
        return PointerEvent(
            pos.x() * ratio,
            (self.height() - pos.y() - 1) * ratio,
            button,
            event.buttons(),
            event.modifiers(),
            double,
        )

    # Qt event handlers ---------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.render_now()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.resized.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if self._forward:
            super().mousePressEvent(event)
        self.pressed.emit(self._pointer(event, double=event.type() == QEvent.Type.MouseButtonDblClick))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._forward:
            super().mouseMoveEvent(event)
        self.moved.emit(self._pointer(event))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._forward:
            super().mouseReleaseEvent(event)
        self.released.emit(self._pointer(event))

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        if self._forward:
            super().wheelEvent(event)
        notches = event.angleDelta().y() / 120.0
        if notches:
            self.wheeled.emit(notches, self._pointer(event))

    def leaveEvent(self, event) -> None:  # noqa: N802
        if self._forward:
            super().leaveEvent(event)
        self.left_view.emit()

    def keyPressEvent(self, event) -> None:  # noqa: N802
        QWidget.keyPressEvent(self, event)

    def keyReleaseEvent(self, event) -> None:  # noqa: N802
        QWidget.keyReleaseEvent(self, event)

    def close_render_window(self) -> None:
        """Release the GL context; call when the view goes away."""
        self.GetRenderWindow().Finalize()
