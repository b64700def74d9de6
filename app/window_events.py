"""Wiring of the main window: session progress and results, errors, and the status read-outs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prima_core.errors import UserError
from prima_core.geometry import voxel_value_at
from prima_core.io import ImportResult
from prima_core.progress import ProgressEvent

if TYPE_CHECKING:
    from app.main_window import MainWindow


def error_text(exc: BaseException) -> str:
    """One line for the reader: the message of a UserError, else the kind and message."""
    if isinstance(exc, UserError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class WindowEvents:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.default_uid: str | None = None
        self._cursor_placed = False
        session = window.session
        session.import_progress.connect(self._on_progress)
        session.import_finished.connect(self._on_imported)
        session.import_failed.connect(
            lambda exc: window.show_error("Could not open the study", error_text(exc))
        )
        session.import_cancelled.connect(lambda: window.statusBar().showMessage("Import cancelled", 4000))
        session.series_loaded.connect(self._on_series_loaded)
        session.series_failed.connect(self._on_series_failed)
        session.idle.connect(self._on_idle)

    def connect_all(self) -> None:
        """Connections to widgets that exist only once the window is built."""
        window = self.window
        window.progress.cancel_requested.connect(window.session.cancel)
        window.browser.series_activated.connect(window.mpr.show_everywhere)
        window.browser.report_requested.connect(window.commands.import_report)
        for view in window.mpr.slice_views.values():
            view.hovered.connect(self._on_hovered)
            view.camera_changed.connect(self.refresh_readouts)
            view.message.connect(lambda text: window.statusBar().showMessage(text, 8000))
        state = window.state
        state.cursor_changed.connect(lambda _lps: self._show_cursor())
        state.window_level_changed.connect(lambda _uid, _w: self.refresh_readouts())
        state.active_view_changed.connect(lambda _v: self.refresh_readouts())
        state.active_series_changed.connect(lambda _v, _u: window.commands.refresh_presets())
        state.active_view_changed.connect(lambda _v: window.commands.refresh_presets())
        state.layout_changed.connect(lambda _l: window.commands.sync_checks())
        state.tool_changed.connect(lambda _t: window.commands.sync_checks())

    # --- session -----------------------------------------------------------------------------
    def _on_progress(self, event: ProgressEvent) -> None:
        self.window.progress.show_progress(event.fraction, event.message or "Importing…")

    def _on_imported(self, result: ImportResult) -> None:
        window = self.window
        window.browser.set_result(result)
        window.mpr.clear()
        window.mpr.set_series_choices()
        window.update_title()
        self._cursor_placed = False
        self.default_uid = window.session.default_series()
        count = sum(len(study.series) for study in result.studies)
        window.progress.show_progress(0.0, f"Loading {count} series…")
        if self.default_uid:
            window.browser.select(self.default_uid)
            window.mpr.show_everywhere(self.default_uid)
        window.session.request_all()

    def _on_series_loaded(self, uid: str) -> None:
        window = self.window
        display = window.session.display(uid)
        window.browser.set_thumbnail(uid, display.thumbnail)
        if uid == self.default_uid and not self._cursor_placed:
            self._cursor_placed = True
            window.state.set_cursor(display.volume.center_lps())
            window.mpr.active_slice_view().canvas.setFocus()  # arrow keys scroll at once
        uids = window.session.series_uids()
        loaded = sum(window.session.display(u) is not None for u in uids)
        window.progress.show_progress(loaded / max(len(uids), 1), f"Loaded {loaded}/{len(uids)} series")
        window.commands.refresh_presets()
        self.refresh_readouts()
        self._show_cursor()

    def _on_series_failed(self, uid: str, exc: BaseException) -> None:
        name = window_series_name(self.window, uid)
        self.window.show_error("Could not load a series", f"{name}: {error_text(exc)}")

    def _on_idle(self) -> None:
        window = self.window
        window.progress.finish()
        if window.session.result is not None:
            result = window.session.result
            series = sum(len(study.series) for study in result.studies)
            window.statusBar().showMessage(f"{len(result.studies)} study · {series} series", 5000)
        window.on_ready()

    # --- read-outs ---------------------------------------------------------------------------
    def _on_hovered(self, info) -> None:
        if info is None:
            self._show_cursor()
        else:
            self.window.readout.show_position(info.lps, info.value)

    def _show_cursor(self) -> None:
        view = self.window.mpr.active_slice_view()
        lps = self.window.state.cursor_lps
        value = voxel_value_at(view.display.volume, lps) if view.display else None
        self.window.readout.show_position(lps if view.display else None, value)

    def refresh_readouts(self) -> None:
        view = self.window.mpr.active_slice_view()
        if view.display is None:
            self.window.readout.show_window(None)
            self.window.readout.show_zoom(None)
            return
        self.window.readout.show_window(self.window.state.window_levels.get(view.display.uid))
        self.window.readout.show_zoom(view.zoom())


def window_series_name(window: MainWindow, uid: str) -> str:
    try:
        series = window.session.series(uid)
    except KeyError:
        return uid
    return series.description or series.model_name
