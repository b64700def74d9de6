"""The import report: every file the importer did not use, and why."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from prima_core.io import ImportResult


class ImportReportDialog(QDialog):
    def __init__(self, result: ImportResult, *, source: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import report")
        self.resize(820, 420)
        series = sum(len(study.series) for study in result.studies)
        summary = QLabel(
            f"{source}\n{result.files_scanned} files scanned · {len(result.studies)} "
            f"stud{'ies' if len(result.studies) != 1 else 'y'} · {series} series · "
            f"{len(result.skipped)} not used"
        )
        summary.setWordWrap(True)
        self.table = QTableWidget(len(result.skipped), 2)
        self.table.setHorizontalHeaderLabels(["File", "Why it was not used"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for row, skipped in enumerate(result.skipped):
            self.table.setItem(row, 0, QTableWidgetItem(skipped.path))
            self.table.setItem(row, 1, QTableWidgetItem(skipped.reason))
        self.table.resizeColumnToContents(0)
        self.table.setColumnWidth(0, min(self.table.columnWidth(0), 440))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("Copy as text", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self.copy_to_clipboard)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self._result = result

    def rows(self) -> list[tuple[str, str]]:
        return [
            (self.table.item(r, 0).text(), self.table.item(r, 1).text()) for r in range(self.table.rowCount())
        ]

    def copy_to_clipboard(self) -> None:
        text = "\n".join(f"{path}\t{reason}" for path, reason in self.rows())
        QApplication.clipboard().setText(text)
