"""The open study session: import in the background, then load series (volume, windows, thumbnail).

The session owns the workers; views ask it for a series and are told when it is ready. Only
core functions run in the workers; signals bring their results back to the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.workers import Worker, WorkerPool
from prima_core.io import ImportResult, Series, Study, Volume, open_studies
from prima_core.io.study import Plane
from prima_core.progress import CancelToken, ProgressCallback, check, report
from prima_core.slices import middle_slice_thumbnail
from prima_core.windowing import IntensityProfile, WindowPreset, intensity_profile, window_presets

FOREGROUND_PRIORITY = 10


@dataclass
class SeriesDisplay:
    """A loaded series and what the viewer needs to show it."""

    series: Series
    study: Study
    volume: Volume
    profile: IntensityProfile
    presets: list[WindowPreset]
    thumbnail: np.ndarray = field(repr=False)

    @property
    def uid(self) -> str:
        return self.series.series_instance_uid


def series_label(series: Series) -> str:
    number = f"#{series.series_number} " if series.series_number is not None else ""
    return f"{number}{series.description or series.model_name}"


def prepare_display(
    series: Series,
    study: Study,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> SeriesDisplay:
    """Read a series' voxels and compute its display facts (runs in a worker)."""
    report(progress, "load", 0.0, f"reading {series_label(series)}")
    volume = series.load()
    check(cancel)
    profile = intensity_profile(volume)
    presets = window_presets(profile, sequence=series.sequence, dicom_window=series.window)
    thumbnail = middle_slice_thumbnail(volume, size=96, window=presets[0].window)
    report(progress, "load", 1.0, f"{series_label(series)} ready")
    return SeriesDisplay(series, study, volume, profile, presets, thumbnail)


class StudySession(QObject):
    import_started = Signal(str)
    import_progress = Signal(object)  # ProgressEvent
    import_finished = Signal(object)  # ImportResult
    import_failed = Signal(object)  # exception
    import_cancelled = Signal()
    series_loaded = Signal(str)  # uid
    series_failed = Signal(str, object)  # uid, exception
    idle = Signal()  # nothing left to load

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workers = WorkerPool(self)
        self.result: ImportResult | None = None
        self.source: Path | None = None
        self._series: dict[str, tuple[Series, Study]] = {}
        self._displays: dict[str, SeriesDisplay] = {}
        self._pending: dict[str, Worker] = {}
        self._import: Worker | None = None

    # --- import ------------------------------------------------------------------------------
    def open(self, path: str | Path) -> Worker:
        """Start importing ``path``; cancels whatever the session was doing."""
        self.workers.cancel_all()
        self._pending.clear()
        self.source = Path(path)
        worker = Worker(
            lambda *, progress, cancel: open_studies(path, progress=progress, cancel=cancel), name="import"
        )
        worker.signals.progress.connect(self.import_progress)
        worker.signals.finished.connect(self._on_imported)
        worker.signals.failed.connect(self.import_failed)
        worker.signals.cancelled.connect(self.import_cancelled)
        worker.signals.done.connect(lambda w=worker: self._import_done(w))
        worker.signals.done.connect(self._check_idle)
        self._import = worker
        self.import_started.emit(str(path))
        return self.workers.submit(worker, priority=FOREGROUND_PRIORITY)

    def cancel(self) -> None:
        self.workers.cancel_all()

    def _on_imported(self, result: ImportResult) -> None:
        self.result = result
        self._displays.clear()
        self._series = {s.series_instance_uid: (s, study) for study in result.studies for s in study.series}
        self.import_finished.emit(result)

    def _import_done(self, worker: Worker) -> None:
        if self._import is worker:
            self._import = None

    # --- series ------------------------------------------------------------------------------
    def series_uids(self) -> list[str]:
        return list(self._series)

    def series(self, uid: str) -> Series:
        return self._series[uid][0]

    def study_of(self, uid: str) -> Study:
        return self._series[uid][1]

    def display(self, uid: str) -> SeriesDisplay | None:
        return self._displays.get(uid)

    def default_series(self) -> str | None:
        """The first axial series of the first study (what a reader usually starts with)."""
        uids = self.series_uids()
        axial = [uid for uid in uids if self.series(uid).plane == Plane.AXIAL]
        return (axial or uids or [None])[0]

    def request(self, uid: str, *, priority: int = 0) -> None:
        """Load a series unless it is loaded or queued; ``series_loaded`` says when it is ready."""
        if uid in self._displays or uid in self._pending or uid not in self._series:
            return
        series, study = self._series[uid]
        worker = Worker(
            lambda *, progress, cancel: prepare_display(series, study, progress=progress, cancel=cancel)
        )
        worker.signals.finished.connect(self._on_loaded)
        worker.signals.failed.connect(lambda exc, uid=uid: self._on_load_failed(uid, exc))
        worker.signals.done.connect(lambda uid=uid: self._pending.pop(uid, None))
        worker.signals.done.connect(self._check_idle)
        self._pending[uid] = worker
        self.workers.submit(worker, priority=priority)

    def adopt(self, display: SeriesDisplay) -> None:
        """Add an already prepared series (e.g. a volume computed in the session) as if loaded."""
        self._series[display.uid] = (display.series, display.study)
        self._displays[display.uid] = display
        self.series_loaded.emit(display.uid)

    def request_all(self) -> None:
        for uid in self.series_uids():
            self.request(uid)

    def _on_loaded(self, display: SeriesDisplay) -> None:
        if display.uid in self._series:
            self._displays[display.uid] = display
            self.series_loaded.emit(display.uid)

    def _on_load_failed(self, uid: str, exc: Exception) -> None:
        self.series_failed.emit(uid, exc)

    def _check_idle(self) -> None:
        if not self._pending and self._import is None:
            self.idle.emit()

    @property
    def busy(self) -> bool:
        return bool(self._pending) or self._import is not None

    def shutdown(self) -> None:
        self.workers.shutdown()
