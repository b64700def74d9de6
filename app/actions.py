"""Every command of the window, declared once: text, shortcuts, icon, and where it lives.

Menus, the toolbar and the shortcuts dialog are built from this table, so each command is
reachable by keyboard and listed in the help.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QWidget

from app import theme


@dataclass(frozen=True)
class ActionSpec:
    key: str
    text: str
    shortcuts: tuple[str, ...] = ()
    icon: str | None = None
    tip: str = ""
    checkable: bool = False
    group: str | None = None  # exclusive group name
    on_views: bool = False  # shortcut active only while a view (not a list or field) has focus


SPECS = (
    ActionSpec("open", "&Open study folder…", ("Ctrl+O",), "mdi6.folder-open-outline", "Open a DICOM folder"),
    ActionSpec(
        "open_file", "Open study &file…", ("Ctrl+Shift+O",), tip="A DICOMDIR, zip archive or NIfTI file"
    ),
    ActionSpec("open_demo", "Open the &demo study", tip="A synthetic study made on this computer"),
    ActionSpec(
        "import_report", "Import &report…", ("Ctrl+I",), "mdi6.file-alert-outline", "Files not used, and why"
    ),
    ActionSpec("save_screenshot", "Save &screenshot…", ("Ctrl+Shift+S",), "mdi6.camera-outline"),
    ActionSpec("quit", "&Quit", ("Ctrl+Q",)),
    ActionSpec(
        "layout_1x1", "Layout 1×1", ("Ctrl+1",), "mdi6.square-outline", checkable=True, group="layout"
    ),
    ActionSpec(
        "layout_1x3", "Layout 1×3", ("Ctrl+3",), "mdi6.view-column-outline", checkable=True, group="layout"
    ),
    ActionSpec(
        "layout_2x2",
        "Layout 2×2 (with 3D)",
        ("Ctrl+4",),
        "mdi6.view-grid-outline",
        checkable=True,
        group="layout",
    ),
    ActionSpec("view_axial", "Axial view", ("Alt+1",)),
    ActionSpec("view_coronal", "Coronal view", ("Alt+2",)),
    ActionSpec("view_sagittal", "Sagittal view", ("Alt+3",)),
    ActionSpec("view_3d", "3D view", ("Alt+4",)),
    ActionSpec("maximize", "This view alone / back", ("F",)),
    ActionSpec("reset", "Reset zoom, pan and window", ("R",), "mdi6.fit-to-screen-outline"),
    ActionSpec("zoom_in", "Zoom in", ("Ctrl+=", "Ctrl++"), on_views=True),
    ActionSpec("zoom_out", "Zoom out", ("Ctrl+-",), on_views=True),
    ActionSpec("center_cursor", "Centre the crosshair", ("C",)),
    ActionSpec("show_crosshair", "Show crosshair", ("X",), checkable=True),
    ActionSpec("align_acquisition", "Align views to the acquisition plane", ("O",), checkable=True),
    ActionSpec("volume_rendering", "3D: volume rendering", ("V",), "mdi6.cube-outline", checkable=True),
    ActionSpec("next_slice", "Next slice", ("Up", "Right"), on_views=True),
    ActionSpec("previous_slice", "Previous slice", ("Down", "Left"), on_views=True),
    ActionSpec("next_page", "Forward 10 slices", ("PgUp",), on_views=True),
    ActionSpec("previous_page", "Back 10 slices", ("PgDown",), on_views=True),
    ActionSpec("first_slice", "First slice", ("Home",), on_views=True),
    ActionSpec("last_slice", "Last slice", ("End",), on_views=True),
    ActionSpec("tool_crosshair", "Crosshair tool", ("N",), "mdi6.crosshairs", checkable=True, group="tool"),
    ActionSpec("tool_distance", "Distance", ("M",), "mdi6.ruler", "Click, click: length in mm", True, "tool"),
    ActionSpec(
        "tool_ellipse", "Ellipse ROI", ("E",), "mdi6.ellipse-outline", "Drag: mean, sd, area", True, "tool"
    ),
    ActionSpec(
        "tool_rectangle",
        "Rectangle ROI",
        ("B",),
        "mdi6.rectangle-outline",
        "Drag: mean, sd, area",
        True,
        "tool",
    ),
    ActionSpec("cancel_tool", "Cancel / back to crosshair", ("Esc",)),
    ActionSpec("clear_measurements", "Clear measurements", ("Del",), "mdi6.eraser"),
    ActionSpec("shortcuts", "Keyboard and mouse…", ("F1", "?"), "mdi6.keyboard-outline"),
    ActionSpec("about", "About Prima Viewer"),
)
PRESET_KEYS = tuple(str(n) for n in range(1, 10))


def build_actions(
    window: QWidget, views_widget: QWidget, handlers: dict[str, Callable[[], None]]
) -> dict[str, QAction]:
    """QActions for every spec, connected to ``handlers[key]``.

    View-only shortcuts (slices, zoom) live on ``views_widget``.
    """
    actions: dict[str, QAction] = {}
    groups: dict[str, QActionGroup] = {}
    for spec in SPECS:
        action = QAction(spec.text, window)
        if spec.icon:
            action.setIcon(theme.icon(spec.icon))
        action.setShortcuts([QKeySequence(s) for s in spec.shortcuts])
        tip = spec.tip or spec.text.replace("&", "").rstrip("…")
        if spec.shortcuts:
            tip = f"{tip}  ({spec.shortcuts[0]})"
        action.setToolTip(tip)
        action.setCheckable(spec.checkable)
        if spec.group:
            groups.setdefault(spec.group, QActionGroup(window)).addAction(action)
        owner = views_widget if spec.on_views else window
        action.setShortcutContext(
            Qt.ShortcutContext.WidgetWithChildrenShortcut
            if spec.on_views
            else Qt.ShortcutContext.WindowShortcut
        )
        owner.addAction(action)
        handler = handlers.get(spec.key)
        if handler is not None:
            action.triggered.connect(lambda _checked=False, h=handler: h())
        actions[spec.key] = action
    return actions
