"""The analysis progress row: what runs now (stage and series), how far overall, and Cancel.

Given the plan of a run (its stages), the big bar shows the overall progress across the stages
and never goes back, the label names the stage and series ("Tokenizing AX FLAIR (3/5)") and a
thin bar under it shows the current stage. Without a plan (one-stage work such as importing
weights) the bar shows the stage's own progress, as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QVBoxLayout, QWidget

from app import theme
from app.analysis.overall_progress import EXPLAIN_STAGES, OverallProgress
from prima_core.progress import ProgressEvent

STAGES = {
    "fingerprint": "Identifying the study",
    "model": "Loading the model",
    "tokenize": "Tokenizing",
    "vit": "Running Prima",
    "explain": "Explaining",
    "convert": "Importing weights",
}
STEPS = 1000  # bar resolution


def stage_text(event: ProgressEvent) -> str:
    stage = STAGES.get(event.stage, event.stage.capitalize())
    return f"{stage} \u00b7 {event.message}" if event.message else stage


def _bar(*, height: int | None = None) -> QProgressBar:
    bar = QProgressBar()
    bar.setRange(0, STEPS)
    bar.setTextVisible(False)
    if height is not None:
        bar.setFixedHeight(height)
    return bar


class AnalysisProgress(QWidget):
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.overall: OverallProgress | None = None
        self.text = QLabel()
        self.text.setStyleSheet(f"color: {theme.MUTED}; font-size: 9pt;")
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.percent = QLabel()
        self.percent.setStyleSheet(f"color: {theme.MUTED}; font-size: 9pt;")
        self.percent.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.bar = _bar()
        self.bar.setToolTip("Overall progress of the analysis")
        self.stage_bar = _bar(height=4)
        self.stage_bar.setToolTip("Progress of the current step")
        self.stage_bar.hide()
        self.cancel = QToolButton()
        self.cancel.setIcon(theme.icon("mdi6.close-circle-outline"))
        self.cancel.setToolTip("Cancel the analysis")
        self.cancel.setAutoRaise(True)
        self.cancel.clicked.connect(self.cancel_requested)
        heading = QHBoxLayout()
        heading.setContentsMargins(0, 0, 0, 0)
        heading.addWidget(self.text, 1)
        heading.addWidget(self.percent)
        bars = QVBoxLayout()
        bars.setContentsMargins(0, 0, 0, 0)
        bars.setSpacing(1)
        bars.addWidget(self.bar)
        bars.addWidget(self.stage_bar)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addLayout(bars, 1)
        row.addWidget(self.cancel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(heading)
        layout.addLayout(row)
        self.hide()

    def show_event(self, event: ProgressEvent) -> None:
        if self.overall is None:
            self._show_text(stage_text(event))
            self._set_bar(self.bar, event.fraction)
            self.percent.clear()
        else:
            status = self.overall.update(event)
            self._show_text(status.label, tooltip=stage_text(event))
            self._set_bar(self.bar, status.fraction)
            self._set_bar(self.stage_bar, status.stage_fraction)
            self.percent.setText(f"{int(100 * status.fraction)} %")
        self.show()

    def _show_text(self, full: str, *, tooltip: str | None = None) -> None:
        room = max(self.width() - 60, 120)  # the percentage sits beside the text
        self.text.setText(self.text.fontMetrics().elidedText(full, Qt.TextElideMode.ElideRight, room))
        self.text.setToolTip(tooltip or full)

    @staticmethod
    def _set_bar(bar: QProgressBar, fraction: float) -> None:
        bar.setRange(0, STEPS)
        bar.setValue(round(STEPS * min(max(fraction, 0.0), 1.0)))

    def start(
        self,
        message: str,
        *,
        stages: Sequence[str] | None = None,
        target: str = "",
        series_names: Mapping[str, str] | None = None,
    ) -> None:
        """A run begins; with ``stages`` (its plan) the bar shows overall progress across them.

        ``series_names`` maps the model's series names to the ones the reader sees in the viewer.
        """
        self.overall = OverallProgress(stages, target=target, series_names=series_names) if stages else None
        self.text.setText(message)
        self.text.setToolTip(message)
        self.percent.setText("0 %" if stages else "")
        self.bar.setRange(0, 0)
        self.stage_bar.setVisible(bool(stages))
        self.stage_bar.setValue(0)
        self.show()

    def awaits(self, stage: str) -> bool:
        """Whether the current run's plan still has ``stage`` to come."""
        return self.overall is not None and self.overall.awaits(stage)

    def begin_explanation(self, target: str, *, busy: bool) -> None:
        """An explanation of ``target`` is queued: the last step of a running Analyze (the bar
        goes on), or a run of its own (the bar starts again)."""
        if busy and self.overall is not None and self.overall.awaits("explain"):
            self.overall.target = target
        else:
            self.start(f"Explaining {target}\u2026", stages=EXPLAIN_STAGES, target=target)

    def finish(self) -> None:
        self.hide()
