"""Menus and the toolbar, arranged from the window's actions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QMenu, QSizePolicy, QToolBar, QToolButton, QWidget

from app import theme

if TYPE_CHECKING:
    from app.main_window import MainWindow

MENUS = {
    "file": (
        "&File",
        ["open", "open_file", "open_demo", "import_report", None, "save_screenshot", None, "quit"],
    ),
    "view": (
        "&View",
        [
            "layout_1x1",
            "layout_1x3",
            "layout_2x2",
            None,
            "view_axial",
            "view_coronal",
            "view_sagittal",
            "view_3d",
            "maximize",
            None,
            "reset",
            "zoom_in",
            "zoom_out",
            "center_cursor",
            None,
            "show_crosshair",
            "align_acquisition",
            "volume_rendering",
        ],
    ),  # fmt: skip
    "navigate": (
        "&Navigate",
        ["next_slice", "previous_slice", "next_page", "previous_page", "first_slice", "last_slice"],
    ),
    "tools": (
        "&Tools",
        [
            "tool_crosshair",
            "tool_distance",
            "tool_ellipse",
            "tool_rectangle",
            None,
            "cancel_tool",
            "clear_measurements",
        ],
    ),
    "help": ("&Help", ["shortcuts", None, "about"]),
}
TOOLBAR = [
    "open", None, "layout_1x1", "layout_1x3", "layout_2x2", None,
    "tool_crosshair", "tool_distance", "tool_ellipse", "tool_rectangle", "clear_measurements", None,
    "window", "reset", "volume_rendering",
]  # fmt: skip


def build_menus(window: MainWindow) -> None:
    bar = window.menuBar()
    window.menus = {}
    for key, (title, keys) in MENUS.items():
        menu = bar.addMenu(title)
        window.menus[key] = menu
        for action_key in keys:
            if action_key is None:
                menu.addSeparator()
            else:
                menu.addAction(window.actions[action_key])
        if key == "view":
            menu.addSeparator()
            menu.addAction(window.browser_dock.toggleViewAction())
            window.browser_dock.toggleViewAction().setShortcut("Ctrl+B")
        if key == "navigate":
            window.menus["window"] = _window_menu(window, bar)


def _window_menu(window: MainWindow, bar) -> QMenu:
    menu = bar.addMenu("&Window")
    menu.setToolTipsVisible(True)
    for action in window.preset_actions:
        menu.addAction(action)
    return menu


def build_toolbar(window: MainWindow) -> QToolBar:
    toolbar = QToolBar("Tools", window)
    toolbar.setObjectName("mainToolbar")
    toolbar.setMovable(False)
    toolbar.setIconSize(QSize(20, 20))
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    for key in TOOLBAR:
        if key is None:
            toolbar.addSeparator()
        elif key == "window":
            toolbar.addWidget(_window_button(window))
        else:
            toolbar.addAction(window.actions[key])
    spacer = QWidget()
    spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    toolbar.addWidget(spacer)
    toolbar.addAction(window.actions["shortcuts"])
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
    return toolbar


def _window_button(window: MainWindow) -> QToolButton:
    button = QToolButton()
    button.setIcon(theme.icon("mdi6.contrast-box"))
    button.setToolTip("Window presets (1-9); right-drag in a view to adjust")
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    button.setMenu(window.menus["window"])
    return button
