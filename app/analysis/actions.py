"""The analysis commands (Analyze, heat map on/off, import weights, exports) and where they live:
the File menu, an Analysis menu before Help, and the toolbar. They join ``window.actions`` so the
shortcuts dialog lists them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolButton

from app import theme
from app.actions import ActionSpec

if TYPE_CHECKING:
    from app.main_window import MainWindow

SPECS = (
    ActionSpec("analyze", "&Analyze", ("Ctrl+Return", "Ctrl+Enter"), "mdi6.brain", "Run Prima on this study"),
    ActionSpec("cancel_analysis", "&Cancel analysis", (), "mdi6.close-circle-outline"),
    ActionSpec("show_heatmap", "Show &heat map", ("H",), "mdi6.fire", "Heat map on/off", checkable=True),
    ActionSpec(
        "import_weights",
        "Import Prima &weights\u2026",
        (),
        "mdi6.database-import-outline",
        "Convert primafullmodel107.pt and its tokenizer into a model bundle",
    ),
    ActionSpec(
        "save_view_screenshot",
        "Save &view screenshot\u2026",
        ("Ctrl+Alt+S",),
        "mdi6.image-outline",
        "The active view alone, as PNG",
    ),
    ActionSpec("export_json", "Export results &JSON\u2026", ("Ctrl+E",), "mdi6.code-json"),
    ActionSpec("export_pdf", "Export &PDF report\u2026", ("Ctrl+P",), "mdi6.file-pdf-box"),
)


def build_analysis_actions(window: MainWindow, handlers: dict[str, Callable[[], None]]) -> dict[str, QAction]:
    actions = {}
    for spec in SPECS:
        action = QAction(spec.text, window)
        if spec.icon:
            action.setIcon(theme.icon(spec.icon))
        action.setShortcuts([QKeySequence(s) for s in spec.shortcuts])
        tip = spec.tip or spec.text.replace("&", "").rstrip("\u2026")
        action.setToolTip(f"{tip}  ({spec.shortcuts[0]})" if spec.shortcuts else tip)
        action.setCheckable(spec.checkable)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        window.addAction(action)
        handler = handlers.get(spec.key)
        if handler is not None:
            action.triggered.connect(lambda _checked=False, h=handler: h())
        actions[spec.key] = action
    window.actions.update(actions)
    return actions


def _insert_after(menu: QMenu, anchor: QAction, actions: list[QAction]) -> None:
    items = menu.actions()
    position = items.index(anchor) + 1 if anchor in items else len(items)
    before = items[position] if position < len(items) else None
    for action in actions:
        menu.insertAction(before, action) if before is not None else menu.addAction(action)


def place_analysis_actions(window: MainWindow, actions: dict[str, QAction]) -> None:
    """File menu entries, an Analysis menu before Help, and the Analyze button on the toolbar."""
    file_menu = window.menus["file"]
    _insert_after(file_menu, window.actions["import_report"], [actions["import_weights"]])
    exports = [actions["save_view_screenshot"], actions["export_json"], actions["export_pdf"]]
    _insert_after(file_menu, window.actions["save_screenshot"], exports)
    menu = QMenu("&Analysis", window)
    for key in ("analyze", "cancel_analysis", None, "show_heatmap"):
        menu.addSeparator() if key is None else menu.addAction(actions[key])
    window.menuBar().insertMenu(window.menus["help"].menuAction(), menu)
    window.menus["analysis"] = menu
    toolbar = window.toolbar  # Analyze and the heat-map toggle right after Open: open, then read
    items = toolbar.actions()
    opened = items.index(window.actions["open"]) if window.actions["open"] in items else -1
    anchor = items[opened + 1] if opened + 1 < len(items) else None
    toolbar.insertSeparator(anchor)
    button = QToolButton()
    button.setDefaultAction(actions["analyze"])
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setObjectName("analyzeButton")
    toolbar.insertWidget(anchor, button)
    toolbar.insertAction(anchor, actions["show_heatmap"])
