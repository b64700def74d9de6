"""File-menu commands of the analysis: import weights, exports; each asks for a path, then calls
the export functions of :mod:`.exports` and reports failures in a dialog."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog

from app.analysis import exports
from app.analysis.import_dialog import ImportWeightsDialog
from app.window_events import error_text

if TYPE_CHECKING:
    from app.analysis.feature import AnalysisFeature


class FileCommands:
    def __init__(self, feature: AnalysisFeature) -> None:
        self.feature = feature
        self.dialog: ImportWeightsDialog | None = None

    def handlers(self) -> dict[str, Callable[[], object]]:
        return {
            "import_weights": self.import_weights,
            "save_view_screenshot": lambda: self._save(
                "Save view screenshot", "prima-view.png", "PNG (*.png)", exports.write_view_screenshot
            ),
            "export_json": lambda: self._save(
                "Export results JSON", "prima-results.json", "JSON (*.json)", exports.write_results_json
            ),
            "export_pdf": lambda: self._save(
                "Export PDF report", "prima-report.pdf", "PDF (*.pdf)", exports.write_report_pdf
            ),
        }

    def _save(self, title: str, default: str, filters: str, write: Callable) -> None:
        window = self.feature.window
        path, _f = QFileDialog.getSaveFileName(window, title, default, filters)
        if not path:
            return
        try:
            written = write(self.feature, Path(path))
        except (OSError, ValueError) as exc:
            window.show_error(f"{title} failed", error_text(exc))
            return
        window.statusBar().showMessage(f"Saved {written}", 5000)

    def import_weights(self) -> ImportWeightsDialog:
        window = self.feature.window
        self.dialog = ImportWeightsDialog(window.session.workers, parent=window)
        self.dialog.imported.connect(self._imported)
        self.dialog.open()
        return self.dialog

    def _imported(self, name: str) -> None:
        feature = self.feature
        feature.refresh_models(current=name)
        feature.panel.models.choose(name)
        feature.window.statusBar().showMessage(f"Model {name} imported", 5000)
