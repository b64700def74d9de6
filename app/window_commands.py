"""What each window command does; the table of commands is in ``app.actions``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog

from app.about import show_about
from app.actions import PRESET_KEYS
from app.state import Layout, Tool, ViewName
from app.widgets.import_report import ImportReportDialog
from app.widgets.shortcuts_dialog import ShortcutsDialog

if TYPE_CHECKING:
    from app.main_window import MainWindow

_LAYOUTS = {"layout_1x1": Layout.ONE, "layout_1x3": Layout.ROW, "layout_2x2": Layout.GRID}
_TOOLS = {
    "tool_crosshair": Tool.CROSSHAIR,
    "tool_distance": Tool.DISTANCE,
    "tool_ellipse": Tool.ELLIPSE,
    "tool_rectangle": Tool.RECTANGLE,
}
_VIEWS = {
    "view_axial": ViewName.AXIAL,
    "view_coronal": ViewName.CORONAL,
    "view_sagittal": ViewName.SAGITTAL,
    "view_3d": ViewName.VOLUME,
}


class WindowCommands:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.dialog = None  # the last dialog opened, kept so it stays alive (and tests can see it)

    def handlers(self) -> dict[str, Callable[[], None]]:
        w, state, mpr = self.window, self.window.state, self.window.mpr
        handlers: dict[str, Callable[[], None]] = {
            "open": self.open_folder_dialog,
            "open_file": self.open_file_dialog,
            "open_demo": w.open_demo,
            "import_report": self.import_report,
            "save_screenshot": self.save_screenshot,
            "quit": w.close,
            "maximize": lambda: mpr.toggle_maximize(state.active_view.value),
            "reset": self.reset,
            "zoom_in": lambda: mpr.active_slice_view().zoom_by(1.25),
            "zoom_out": lambda: mpr.active_slice_view().zoom_by(0.8),
            "center_cursor": self.center_cursor,
            "show_crosshair": self.toggle_crosshair,
            "align_acquisition": self.toggle_alignment,
            "volume_rendering": mpr.volume_view.toggle_mode,
            "next_slice": lambda: mpr.active_slice_view().scroll(1),
            "previous_slice": lambda: mpr.active_slice_view().scroll(-1),
            "next_page": lambda: mpr.active_slice_view().scroll(10),
            "previous_page": lambda: mpr.active_slice_view().scroll(-10),
            "first_slice": lambda: mpr.active_slice_view().scroll(-100_000),
            "last_slice": lambda: mpr.active_slice_view().scroll(100_000),
            "cancel_tool": self.cancel_tool,
            "clear_measurements": lambda: [v.measurements.clear() for v in mpr.slice_views.values()],
            "shortcuts": self.show_shortcuts,
            "about": self.show_about,
        }
        handlers.update({key: (lambda lay=lay: state.set_layout(lay)) for key, lay in _LAYOUTS.items()})
        handlers.update({key: (lambda t=t: state.set_tool(t)) for key, t in _TOOLS.items()})
        handlers.update({key: (lambda v=v: state.set_active_view(v)) for key, v in _VIEWS.items()})
        return handlers

    # --- files -------------------------------------------------------------------------------
    def open_folder_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self.window, "Open a study folder")
        if path:
            self.window.open_path(path)

    def open_file_dialog(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self.window,
            "Open a DICOMDIR, zip archive or NIfTI file",
            "",
            "Studies (DICOMDIR *.zip *.nii *.nii.gz *.dcm);;All files (*)",
        )
        if path:
            self.window.open_path(path)

    def import_report(self) -> None:
        result = self.window.session.result
        if result is None:
            self.window.statusBar().showMessage("No study open", 3000)
            return
        self.dialog = ImportReportDialog(
            result, source=str(self.window.session.source or ""), parent=self.window
        )
        self.dialog.open()

    def save_screenshot(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self.window, "Save screenshot", "prima-viewer.png", "PNG (*.png)"
        )
        if path:
            from app.screenshot import grab_window

            grab_window(self.window).save(path)

    def show_shortcuts(self) -> None:
        actions = [*self.window.actions.values(), *self.window.preset_actions]
        self.dialog = ShortcutsDialog(actions, parent=self.window)
        self.dialog.open()

    def show_about(self) -> None:
        self.dialog = show_about(self.window)

    # --- views -------------------------------------------------------------------------------
    def reset(self) -> None:
        state = self.window.state
        for view in self.window.mpr.slice_views.values():
            view.reset_camera()
            if view.display is not None:
                state.set_window_level(view.display.uid, view.display.presets[0].window)
        self.window.mpr.volume_view.reset_camera()

    def center_cursor(self) -> None:
        view = self.window.mpr.active_slice_view()
        if view.display is not None:
            self.window.state.set_cursor(view.display.volume.center_lps())

    def toggle_crosshair(self) -> None:
        visible = self.window.actions["show_crosshair"].isChecked()
        for view in self.window.mpr.slice_views.values():
            view.scene.crosshair.set_visible(visible)
            view.request_render()

    def toggle_alignment(self) -> None:
        aligned = self.window.actions["align_acquisition"].isChecked()
        for view in self.window.mpr.slice_views.values():
            view.set_align_to_acquisition(aligned)

    def cancel_tool(self) -> None:
        for view in self.window.mpr.slice_views.values():
            view.measurements.cancel()
        self.window.state.set_tool(Tool.CROSSHAIR)

    def sync_checks(self) -> None:
        """Check the layout and tool actions that match the state."""
        actions, state = self.window.actions, self.window.state
        for key, layout in _LAYOUTS.items():
            actions[key].setChecked(state.layout == layout)
        for key, tool in _TOOLS.items():
            actions[key].setChecked(state.tool == tool)
        actions["show_crosshair"].setChecked(
            self.window.mpr.slice_views[ViewName.AXIAL].scene.crosshair.actor.GetVisibility()
        )

    # --- window presets ----------------------------------------------------------------------
    def build_preset_actions(self) -> list[QAction]:
        actions = []
        for index, key in enumerate(PRESET_KEYS):
            action = QAction(f"Preset {key}", self.window)
            action.setShortcut(QKeySequence(key))
            action.triggered.connect(lambda _c=False, i=index: self.apply_preset(i))
            action.setVisible(False)
            self.window.addAction(action)
            actions.append(action)
        return actions

    def refresh_presets(self) -> None:
        view = self.window.mpr.active_slice_view()
        presets = view.display.presets if view.display else []
        for index, action in enumerate(self.window.preset_actions):
            if index < len(presets):
                action.setText(presets[index].name)
                action.setToolTip(presets[index].description)
            action.setVisible(index < len(presets))
            action.setEnabled(index < len(presets))

    def apply_preset(self, index: int) -> None:
        view = self.window.mpr.active_slice_view()
        if view.display is not None and index < len(view.display.presets):
            preset = view.display.presets[index]
            self.window.state.set_window_level(view.display.uid, preset.window)
            self.window.statusBar().showMessage(f"Window: {preset.name}", 3000)
