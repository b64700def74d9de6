"""The dark reading-room look: near-black backgrounds, low-glare grey text, one accent colour."""

from __future__ import annotations

from pathlib import Path

import qtawesome
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

RESOURCES = Path(__file__).resolve().parent.parent / "resources"

BACKGROUND = "#0b0c0e"
VIEW_BACKGROUND = "#000000"
PANEL = "#141619"
RAISED = "#1c1f23"
BORDER = "#262a30"
TEXT = "#b4b9c0"
MUTED = "#737a84"
ACCENT = "#4aa3c7"

# Plane colours for crosshair lines and view tags (muted versions of the usual red/green/yellow).
PLANE_COLORS = {"axial": "#b8574f", "coronal": "#5c9e5c", "sagittal": "#c4a23e", "3d": MUTED}


def rgb(color: str) -> tuple[float, float, float]:
    """A hex colour as VTK's 0..1 floats."""
    c = QColor(color)
    return c.redF(), c.greenF(), c.blueF()


def icon(name: str, *, color: str = TEXT) -> QIcon:
    """A Material Design icon (``mdi6.*``) in the theme's text colour, accent when active."""
    return qtawesome.icon(name, color=color, color_active=ACCENT, color_disabled="#3a3f46")


def apply_theme(app: QApplication) -> None:
    """Fusion style, a dark palette and the stylesheet from ``resources/app.qss``."""
    app.setStyle("Fusion")
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: PANEL,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: BACKGROUND,
        QPalette.ColorRole.AlternateBase: PANEL,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: RAISED,
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#0b0c0e",
        QPalette.ColorRole.ToolTipBase: RAISED,
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.PlaceholderText: MUTED,
        QPalette.ColorRole.Link: ACCENT,
    }
    for role, color in roles.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#4a5058"))
    app.setPalette(palette)
    window_icon = RESOURCES / "icons" / "prima-viewer-256.png"
    if window_icon.exists():
        app.setWindowIcon(QIcon(str(window_icon)))
    qss = RESOURCES / "app.qss"
    if qss.exists():
        app.setStyleSheet(qss.read_text(encoding="utf-8"))
