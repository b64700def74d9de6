"""The analysis progress row: what runs now (stage and series), how far, and a Cancel button."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QVBoxLayout, QWidget

from app import theme
from prima_core.progress import ProgressEvent

STAGES = {
    "fingerprint": "Identifying the study",
    "model": "Loading the model",
    "tokenize": "Tokenizing",
    "vit": "Running Prima",
    "explain": "Explaining",
    "convert": "Importing weights",
}


def stage_text(event: ProgressEvent) -> str:
    stage = STAGES.get(event.stage, event.stage.capitalize())
    return f"{stage} \u00b7 {event.message}" if event.message else stage


class AnalysisProgress(QWidget):
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QLabel()
        self.text.setStyleSheet(f"color: {theme.MUTED}; font-size: 9pt;")
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.cancel = QToolButton()
        self.cancel.setIcon(theme.icon("mdi6.close-circle-outline"))
        self.cancel.setToolTip("Cancel the analysis")
        self.cancel.setAutoRaise(True)
        self.cancel.clicked.connect(self.cancel_requested)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.text)
        layout.addLayout(row)
        self.hide()

    def show_event(self, event: ProgressEvent) -> None:
        metrics = self.text.fontMetrics()
        full = stage_text(event)
        self.text.setText(metrics.elidedText(full, Qt.TextElideMode.ElideRight, max(self.width() - 4, 120)))
        self.text.setToolTip(full)
        self.bar.setRange(0, 1000)
        self.bar.setValue(int(1000 * event.fraction))
        self.show()

    def start(self, message: str) -> None:
        self.text.setText(message)
        self.bar.setRange(0, 0)
        self.show()

    def finish(self) -> None:
        self.hide()
