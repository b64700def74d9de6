"""Series contribution: one bar per series, the target's value minus its value without that series.

Bars grow right for a series that raises the value, left for one that lowers it, from a zero
line; the numbers are in the target's own units (margin units for a diagnosis).
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app import theme
from app.widgets import analysis_style as style
from prima_core.analysis.differential import format_margin

ROW = 22


class ContributionChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values: list[tuple[str, float]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(
            "How much each series moves the selected margin: the margin minus the margin without that series."
        )

    def set_values(self, values: dict[str, float]) -> None:
        self.values = sorted(values.items(), key=lambda kv: -kv[1])
        self.setFixedHeight(max(len(self.values), 1) * ROW + 4)
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(240, max(len(self.values), 1) * ROW + 4)

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if not self.values:
            painter.setPen(QColor(theme.MUTED))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No series contributions")
            painter.end()
            return
        width = self.width()
        label_width = int(width * 0.42)
        value_width = 52
        bar_left = label_width + 6
        bar_width = max(width - bar_left - value_width - 4, 20)
        has_negative = any(v < 0 for _n, v in self.values)
        zero = bar_left + (bar_width / 2 if has_negative else 0)
        half = bar_width / 2 if has_negative else bar_width
        scale = max(abs(v) for _n, v in self.values) or 1.0
        metrics = painter.fontMetrics()
        for row, (name, value) in enumerate(self.values):
            top = 2 + row * ROW
            painter.setPen(QColor(theme.TEXT))
            text = metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, label_width)
            painter.drawText(QRectF(0, top, label_width, ROW), Qt.AlignmentFlag.AlignVCenter, text)
            length = abs(value) / scale * half
            left = zero if value >= 0 else zero - length
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(style.POSITIVE if value >= 0 else style.NEGATIVE))
            painter.drawRect(QRectF(left, top + 6, length, ROW - 12))
            painter.setPen(QColor(theme.MUTED))
            painter.drawText(
                QRectF(width - value_width, top, value_width, ROW),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                format_margin(value),
            )
        painter.setPen(QPen(QColor(style.ZERO_LINE), 1))
        painter.drawLine(int(zero), 1, int(zero), self.height() - 2)
        painter.end()
