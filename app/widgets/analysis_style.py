"""Colours and small helpers shared by the analysis panels (the dark reading-room palette)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from app import theme

POSITIVE = theme.ACCENT  # positive margins: the one accent colour
NEGATIVE = "#3b424b"  # negative margins: a quiet grey
ZERO_LINE = "#8c939c"
WARNING_TEXT = "#d9a441"
WARNING_BACKGROUND = "#241d10"
WARNING_BORDER = "#5a4518"
PRIORITY_COLORS = {"none": "#3a4048", "low": "#2f5d73", "medium": "#8a6a22", "high": "#9a3f38"}
SECTION_STYLE = f"color: {theme.MUTED}; font-size: 8pt; font-weight: 600; letter-spacing: 1px;"


def section_label(text: str, parent: QWidget | None = None) -> QLabel:
    """A small upper-case heading above a block of a panel."""
    label = QLabel(text.upper(), parent)
    label.setStyleSheet(SECTION_STYLE + " padding-top: 6px;")
    return label


def muted_label(text: str = "", parent: QWidget | None = None, *, wrap: bool = True) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(wrap)
    label.setStyleSheet(f"color: {theme.MUTED}; font-size: 9pt;")
    return label
