"""Progress reporting and cancellation for long work, without any GUI dependency."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from prima_core.errors import Cancelled


@dataclass(frozen=True)
class ProgressEvent:
    stage: str  # e.g. "import", "tokenize", "vit", "explain"
    fraction: float  # 0..1 within the stage
    message: str = ""


ProgressCallback = Callable[[ProgressEvent], None]


class CancelToken:
    """A flag another thread may set; long work calls ``check()`` between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled by the user")


def report(callback: ProgressCallback | None, stage: str, fraction: float, message: str = "") -> None:
    if callback is not None:
        callback(ProgressEvent(stage, max(0.0, min(1.0, fraction)), message))


def check(cancel: CancelToken | None) -> None:
    if cancel is not None:
        cancel.check()
