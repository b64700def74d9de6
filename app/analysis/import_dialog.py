"""File > Import Prima weights: choose ``primafullmodel107.pt`` and its tokenizer, name the model,
convert in the background with progress; refusals are shown in plain words."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.widgets import analysis_style as style
from app.widgets.analysis_progress import AnalysisProgress
from app.window_events import error_text
from app.workers import Worker, WorkerPool
from prima_core.analysis.model_import import import_official, suggested_name


def _file_row(edit: QLineEdit, browse: QPushButton) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    layout.addWidget(browse)
    return row


class ImportWeightsDialog(QDialog):
    imported = Signal(str)  # the new model's name

    def __init__(self, workers: WorkerPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import Prima weights")
        self.setMinimumWidth(560)
        self.workers = workers
        self.worker: Worker | None = None
        self.error_box: QMessageBox | None = None
        self.full_model = QLineEdit()
        self.full_model.setPlaceholderText("primafullmodel107.pt")
        self.tokenizer = QLineEdit()
        self.tokenizer.setPlaceholderText("tokenizer config (.json) or weights (.pth)")
        self.name = QLineEdit()
        self.name.setPlaceholderText("a name for the model")
        browse_model = QPushButton("Browse\u2026")
        browse_model.clicked.connect(self._browse_model)
        browse_tokenizer = QPushButton("Browse\u2026")
        browse_tokenizer.clicked.connect(self._browse_tokenizer)
        form = QFormLayout()
        form.addRow("Full model", _file_row(self.full_model, browse_model))
        form.addRow("Tokenizer", _file_row(self.tokenizer, browse_tokenizer))
        form.addRow("Name", self.name)
        note = style.muted_label(
            "The checkpoint is read without running any code from it. The converted model is kept "
            "in your user folder and appears in the model chooser."
        )
        self.progress = AnalysisProgress()
        self.progress.cancel_requested.connect(self._cancel)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)

    def _browse_model(self) -> None:
        path, _f = QFileDialog.getOpenFileName(
            self, "Prima full model", "", "PyTorch checkpoint (*.pt *.pth);;All files (*)"
        )
        if path:
            self.full_model.setText(path)
            if not self.name.text():
                self.name.setText(suggested_name(Path(path)))

    def _browse_tokenizer(self) -> None:
        path, _f = QFileDialog.getOpenFileName(
            self, "Tokenizer config or weights", "", "Tokenizer (*.json *.pth *.pt);;All files (*)"
        )
        if path:
            self.tokenizer.setText(path)

    def start(self) -> None:
        """Convert in the background; the dialog stays open with progress until it ends."""
        full_model, tokenizer = Path(self.full_model.text().strip()), Path(self.tokenizer.text().strip())
        name = self.name.text().strip() or suggested_name(full_model)

        def job(*, progress, cancel):
            return import_official(
                full_model=full_model, tokenizer=tokenizer, name=name, progress=progress, cancel=cancel
            )

        self.worker = Worker(job, name="import-weights")
        self.worker.signals.progress.connect(self.progress.show_event)
        self.worker.signals.finished.connect(lambda _path, n=name: self._done(n))
        self.worker.signals.failed.connect(self._refused)
        self.worker.signals.cancelled.connect(self._cancelled)
        self.import_button.setEnabled(False)
        self.progress.start(f"Importing {full_model.name}\u2026")
        self.workers.submit(self.worker)

    def _cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    def _done(self, name: str) -> None:
        self.worker = None
        self.progress.finish()
        self.imported.emit(name)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self.worker = None
        self.progress.finish()
        self.import_button.setEnabled(True)
        self.error_box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Import refused",
            error_text(exc),
            QMessageBox.StandardButton.Close,
            self,
        )
        self.error_box.open()

    def _cancelled(self) -> None:
        self.worker = None
        self.progress.finish()
        self.import_button.setEnabled(True)

    def reject(self) -> None:
        self._cancel()
        super().reject()
