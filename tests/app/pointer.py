"""Send real Qt mouse and wheel events to a widget at sub-pixel positions."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget

NO_MODIFIER = Qt.KeyboardModifier.NoModifier


def _send(widget: QWidget, kind: QEvent.Type, pos: QPointF, button, buttons, modifiers) -> None:
    global_pos = QPointF(widget.mapToGlobal(pos.toPoint()))
    QApplication.sendEvent(widget, QMouseEvent(kind, pos, global_pos, button, buttons, modifiers))


def press(widget, pos: QPointF, button=Qt.MouseButton.LeftButton, modifiers=NO_MODIFIER) -> None:
    _send(widget, QEvent.Type.MouseButtonPress, pos, button, button, modifiers)


def move(widget, pos: QPointF, buttons=Qt.MouseButton.NoButton, modifiers=NO_MODIFIER) -> None:
    _send(widget, QEvent.Type.MouseMove, pos, Qt.MouseButton.NoButton, buttons, modifiers)


def release(widget, pos: QPointF, button=Qt.MouseButton.LeftButton, modifiers=NO_MODIFIER) -> None:
    _send(widget, QEvent.Type.MouseButtonRelease, pos, button, Qt.MouseButton.NoButton, modifiers)


def click(widget, pos: QPointF, button=Qt.MouseButton.LeftButton, modifiers=NO_MODIFIER) -> None:
    press(widget, pos, button, modifiers)
    release(widget, pos, button, modifiers)


def drag(widget, start: QPointF, end: QPointF, button=Qt.MouseButton.LeftButton, *, steps: int = 5) -> None:
    press(widget, start, button)
    for n in range(1, steps + 1):
        t = n / steps
        move(
            widget,
            QPointF(start.x() + t * (end.x() - start.x()), start.y() + t * (end.y() - start.y())),
            button,
        )
    release(widget, end, button)


def wheel(widget, pos: QPointF, notches: int, modifiers=NO_MODIFIER) -> None:
    global_pos = QPointF(widget.mapToGlobal(pos.toPoint()))
    event = QWheelEvent(
        pos,
        global_pos,
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)
