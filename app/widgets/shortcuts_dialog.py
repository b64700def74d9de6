"""A list of every keyboard shortcut and mouse convention (F1 or ?)."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

MOUSE = (
    ("Wheel", "Previous / next slice"),
    ("Ctrl+Wheel", "Zoom about the pointer"),
    ("Left click / drag", "Move the linked crosshair (or use the active tool)"),
    ("Right drag", "Window (left/right) and level (up = brighter)"),
    ("Middle drag, Shift+Left drag", "Pan"),
    ("Double click", "This view alone / back to the layout"),
    ("3D view: left / right / middle drag", "Rotate / zoom / pan"),
)


class ShortcutsDialog(QDialog):
    def __init__(self, actions: list[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard and mouse")
        self.resize(560, 620)
        rows = [
            (", ".join(key.toString() for key in action.shortcuts()), action.text().replace("&", ""))
            for action in actions
            if action.shortcuts()
        ]
        rows += list(MOUSE)
        self.table = QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels(["Keys", "Action"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        for row, (keys, text) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(keys))
            self.table.setItem(row, 1, QTableWidgetItem(text))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
