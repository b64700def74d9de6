"""Run long core work off the GUI thread, with progress, cancellation and errors as signals.

A job is any core callable ``fn(progress=..., cancel=...)``; its signals are delivered on the GUI
thread (the signal object lives there), so slots may touch widgets and VTK.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from prima_core.errors import Cancelled
from prima_core.progress import CancelToken, ProgressEvent

Job = Callable[..., Any]


class WorkerSignals(QObject):
    progress = Signal(object)  # ProgressEvent
    finished = Signal(object)  # the job's return value
    failed = Signal(object)  # the exception
    cancelled = Signal()
    done = Signal()  # after any of the three above


class Worker(QRunnable):
    """One job on a thread pool; ``cancel()`` asks it to stop at its next check."""

    def __init__(self, job: Job, *, name: str = "") -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.job = job
        self.name = name
        self.token = CancelToken()
        self.signals = WorkerSignals()

    def cancel(self) -> None:
        self.token.cancel()

    def run(self) -> None:
        try:
            if self.token.cancelled:
                raise Cancelled("cancelled before it started")
            result = self.job(progress=self._report, cancel=self.token)
        except Cancelled:
            self.signals.cancelled.emit()
        except Exception as exc:  # every failure becomes a message for the user, never a crash
            self.signals.failed.emit(exc)
        else:
            self.signals.finished.emit(result)
        self.signals.done.emit()

    def _report(self, event: ProgressEvent) -> None:
        self.signals.progress.emit(event)


class WorkerPool(QObject):
    """A serial queue of workers (one at a time keeps memory and CPU predictable)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._workers: set[Worker] = set()

    def submit(self, worker: Worker, *, priority: int = 0) -> Worker:
        self._workers.add(worker)
        worker.signals.done.connect(lambda w=worker: self._workers.discard(w))
        self.pool.start(worker, priority)
        return worker

    @property
    def busy(self) -> bool:
        return bool(self._workers)

    def cancel_all(self) -> None:
        for worker in list(self._workers):
            worker.cancel()

    def shutdown(self, *, timeout_ms: int = 10_000) -> None:
        self.cancel_all()
        self.pool.waitForDone(timeout_ms)
