"""Status bar read-outs (position in LPS mm, voxel value, window/level, zoom) and long-work progress."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from app import theme
from prima_core.windowing import WindowLevel


def _label(name: str, tip: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setToolTip(tip)
    return label


def format_lps(lps: np.ndarray) -> str:
    letters = (("R", "L"), ("A", "P"), ("I", "S"))
    return "  ".join(f"{letters[a][int(v >= 0)]} {abs(v):6.1f}" for a, v in enumerate(lps))


class StatusReadout(QWidget):
    """The permanent, right-hand part of the status bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.position = _label("readoutPosition", "Position in patient coordinates (LPS, mm)")
        self.value = _label("readoutValue", "Voxel value under the pointer")
        self.window = _label("readoutWindow", "Window width / level of the active view")
        self.zoom = _label("readoutZoom", "Screen pixels per image pixel in the active view")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.setSpacing(18)
        for label in (self.position, self.value, self.window, self.zoom):
            layout.addWidget(label)

    def show_position(self, lps: np.ndarray | None, value: float | None) -> None:
        self.position.setText(format_lps(lps) + " mm" if lps is not None else "")
        self.value.setText(f"value {value:g}" if value is not None else "")

    def show_window(self, window: WindowLevel | None) -> None:
        self.window.setText(f"W {window.width:.0f}  L {window.center:.0f}" if window else "")

    def show_zoom(self, zoom: float | None) -> None:
        self.zoom.setText(f"zoom {100 * zoom:.0f} %" if zoom else "")


class ProgressReadout(QWidget):
    """A progress bar with its message and a Cancel button, shown only while work runs."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setFixedWidth(180)
        self.bar.setTextVisible(False)
        self.cancel = QToolButton()
        self.cancel.setIcon(theme.icon("mdi6.close-circle-outline"))
        self.cancel.setToolTip("Cancel")
        self.cancel.setAutoRaise(True)
        self.cancel.clicked.connect(self.cancel_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.text)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel)
        self.hide()

    def show_progress(self, fraction: float | None, message: str) -> None:
        self.text.setText(message)
        if fraction is None:
            self.bar.setRange(0, 0)  # busy, no known end
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * fraction))
        self.show()

    def finish(self) -> None:
        self.hide()
