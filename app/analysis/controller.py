"""Runs the analysis off the GUI thread: cached lookup, Analyze, and explanations.

The work itself is ``prima_core.analysis.Analyzer``'s; this object queues it as ``Worker`` jobs
on the session's worker pool (so opening another study or closing the window cancels it), keeps
one request in flight at a time (a new one cancels the old), and drops answers that arrive for a
study or request that is no longer current.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.session import StudySession
from app.workers import Worker
from prima_core.analysis.analyzer import AnalysisResult, Analyzer
from prima_core.io.study import Study


class AnalysisController(QObject):
    progress = Signal(object)  # ProgressEvent
    busy_changed = Signal(bool)
    result_ready = Signal(object)  # AnalysisResult
    explanation_ready = Signal(object)  # Explanation
    failed = Signal(str, object)  # what failed, the exception
    cancelled = Signal()
    cleared = Signal()

    def __init__(self, session: StudySession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.analyzer = Analyzer()
        self.study: Study | None = None
        self.result: AnalysisResult | None = None
        self.explanation: Any = None
        self._worker: Worker | None = None
        self._generation = 0
        self._closed = False

    # --- state -------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._worker is not None

    def set_study(self, study: Study | None) -> None:
        """A new study: forget the old result (and stop work on it)."""
        if study is self.study:
            return
        self.cancel()
        self._generation += 1
        self.study = study
        self.result = None
        self.explanation = None
        self.cleared.emit()

    def forget_result(self) -> None:
        """Drop the shown result (another model was chosen)."""
        self.cancel()
        self._generation += 1
        self.result = None
        self.explanation = None
        self.cleared.emit()

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()

    def shutdown(self) -> None:
        """The window closes: cancel, and ignore whatever still arrives."""
        self._closed = True
        self.cancel()

    # --- requests ----------------------------------------------------------------------------
    def lookup_cached(self, model: str) -> None:
        """Show the cached result of this study and model, if any, without running the model."""
        study = self.study
        if study is None:
            return

        def job(*, progress, cancel):
            return self.analyzer.cached(study, _resolve(model), progress=progress, cancel=cancel)

        self._submit(job, self._on_result, what="Reading the results cache")

    def analyze(self, model: str) -> None:
        """The cached result when there is one, else run Prima (``result_ready`` either way)."""
        study = self.study
        if study is None:
            return

        def job(*, progress, cancel):
            return self.analyzer.analyze(study, _resolve(model), progress=progress, cancel=cancel)

        self._submit(job, self._on_result, what="Analysis")

    def explain(self, target: str, method: str) -> None:
        """Explain ``target`` with ``method`` for the current result (``explanation_ready``)."""
        study, result = self.study, self.result
        if study is None or result is None:
            return

        def job(*, progress, cancel):
            return self.analyzer.explain(
                result, study, target=target, method=method, progress=progress, cancel=cancel
            )

        self._submit(job, self._on_explained, what="Explanation")

    # --- workers -----------------------------------------------------------------------------
    def _submit(self, job: Callable[..., Any], on_finished: Callable[[Any], None], *, what: str) -> None:
        self.cancel()
        generation = self._generation
        worker = Worker(job, name="analysis")
        worker.signals.progress.connect(self._on_progress)
        current = lambda slot, value, w=worker: self._if_current(w, generation, slot, value)  # noqa: E731
        worker.signals.finished.connect(lambda value: current(on_finished, value))
        worker.signals.failed.connect(lambda exc: current(self._on_failed, (what, exc)))
        worker.signals.cancelled.connect(lambda: current(self._on_cancelled, None))
        worker.signals.done.connect(lambda w=worker: self._on_done(w))
        was_busy = self.busy
        self._worker = worker
        self.session.workers.submit(worker)
        if not was_busy:
            self.busy_changed.emit(True)

    def _if_current(self, worker: Worker, generation: int, slot: Callable[[Any], None], value: Any) -> None:
        """Deliver only the answer to the latest request about the current study."""
        if not self._closed and worker is self._worker and generation == self._generation:
            slot(value)

    def _on_progress(self, event) -> None:
        if not self._closed:
            self.progress.emit(event)

    def _on_result(self, result: AnalysisResult | None) -> None:
        if result is None:
            return
        self.result = result
        self.result_ready.emit(result)

    def _on_explained(self, value: tuple[AnalysisResult, Any]) -> None:
        self.result, self.explanation = value
        self.explanation_ready.emit(self.explanation)

    def _on_failed(self, value: tuple[str, BaseException]) -> None:
        self.failed.emit(*value)

    def _on_cancelled(self, _value: None) -> None:
        self.cancelled.emit()

    def _on_done(self, worker: Worker) -> None:
        if self._worker is worker:
            self._worker = None
            if not self._closed:
                self.busy_changed.emit(False)


def _resolve(model: str) -> Path:
    from prima_core.model_registry import resolve_model

    return resolve_model(model)
