"""A horizontal colour bar for the heat map: the overlay's own lookup table from 0 to 1, the part
below the threshold shown as transparent (dark), and a marker at the threshold."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.render.colormaps import overlay_table
from app.state import OverlayColormap

STOPS = 32


def colormap_stops(colormap: OverlayColormap | str) -> list[QColor]:
    """Colours at evenly spaced values 0..1, from the very table the views use."""
    table = overlay_table(colormap, low=0.0, high=1.0)
    colours = []
    for n in range(STOPS):
        rgba = [0.0, 0.0, 0.0]
        table.GetColor(n / (STOPS - 1), rgba)
        colours.append(QColor.fromRgbF(rgba[0], rgba[1], rgba[2]))
    return colours


class ColourBar(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colormap = OverlayColormap.HOT
        self.threshold = 0.25
        self._stops = colormap_stops(self.colormap)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(
            "Heat map scale from 0 (left) to 1 (right) = the study's strongest patch for this diagnosis; "
            "nothing is drawn below the threshold (the white mark)."
        )

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(160, 20)

    def set_colormap(self, colormap: OverlayColormap | str) -> None:
        self.colormap = OverlayColormap(colormap)
        self._stops = colormap_stops(self.colormap)
        self.update()

    def set_threshold(self, threshold: float) -> None:
        self.threshold = float(threshold)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        bar = QRectF(1, (self.height() - 10) / 2, self.width() - 2, 10)
        gradient = QLinearGradient(bar.topLeft(), bar.topRight())
        for n, colour in enumerate(self._stops):
            gradient.setColorAt(n / (len(self._stops) - 1), colour)
        painter.fillRect(bar, gradient)
        hidden = QRectF(bar.left(), bar.top(), bar.width() * self.threshold, bar.height())
        painter.fillRect(hidden, QColor(11, 12, 14, 210))
        x = bar.left() + bar.width() * self.threshold
        painter.setPen(QPen(QColor("#e8eaec"), 1.5))
        painter.drawLine(int(x), int(bar.top() - 2), int(x), int(bar.bottom() + 2))
        painter.end()
