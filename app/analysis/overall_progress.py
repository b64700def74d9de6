"""One overall progress value across an analysis' stages, and a label naming the stage and series.

The core reports each stage on its own 0..1 scale (``prima_core.progress.ProgressEvent``):
identifying the study (reads every series), loading the model, tokenizing series by series, the
ViT, and the explanation. The reader wants one bar that fills once from 0 to 100 % and says what
runs now ("Tokenizing AX FLAIR (3/5)"). This module is Qt-free so it can be tested on its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from prima_core.progress import ProgressEvent

ANALYSIS_STAGES = ("fingerprint", "model", "tokenize", "vit", "explain")
EXPLAIN_STAGES = ("explain",)

# Rough share of an analysis' time per stage on a CPU (tokenizing and the explanation dominate).
# They only shape how fast the bar moves; it rises monotonically to 100 % whatever they are.
STAGE_WEIGHTS = {"fingerprint": 0.06, "model": 0.04, "tokenize": 0.55, "vit": 0.05, "explain": 0.30}

_SERIES_START = re.compile(r"^series (\d+)/(\d+): (.+)$")  # prima_core.pipeline.predict
_SERIES_CHUNK = re.compile(r"^(.+): \d+/\d+ tokens$")
_READING = re.compile(r"^reading (.+)$")  # prima_core.analysis.fingerprint
_PASS = re.compile(r"pass (\d+)/(\d+)$")  # prima_core.explain.run


@dataclass(frozen=True)
class OverallStatus:
    fraction: float  # 0..1 over the whole plan, never lower than before
    label: str  # what runs now, e.g. "Tokenizing AX FLAIR (3/5)"
    stage_fraction: float  # the current stage's own 0..1


def readable_series(name: str) -> str:
    """A model series name as a reader would write it (``AX_T2_FLAIR`` -> ``AX T2 FLAIR``)."""
    return " ".join(name.replace("_", " ").split())


class OverallProgress:
    """Folds stage events into one monotone fraction over ``stages`` (the plan of this run).

    Stages before the current one count as done (a cached step reports nothing); an event of an
    earlier stage or of a stage outside the plan (e.g. the model loading again) is named in the
    label but never moves the value back.
    """

    def __init__(
        self,
        stages: Sequence[str] = ANALYSIS_STAGES,
        *,
        target: str = "",
        series_names: Mapping[str, str] | None = None,
    ) -> None:
        self.stages = tuple(stages)
        self.target = target  # the diagnosis being explained, when known
        self.series_names = dict(series_names or {})  # model series name -> the name the reader knows
        self.fraction = 0.0
        self._index = -1
        self._series: tuple[int, int, str] | None = None  # (position, count, name) being tokenized
        total = sum(STAGE_WEIGHTS.get(stage, 0.1) for stage in self.stages)
        self._weights = [STAGE_WEIGHTS.get(stage, 0.1) / total for stage in self.stages]

    def awaits(self, stage: str) -> bool:
        """Whether ``stage`` is still to come in this plan (not started yet)."""
        return stage in self.stages and self.stages.index(stage) > self._index

    def update(self, event: ProgressEvent) -> OverallStatus:
        if event.stage in self.stages:
            index = self.stages.index(event.stage)
            if index >= self._index:
                self._index = index
                done = sum(self._weights[:index])
                value = done + self._weights[index] * min(max(event.fraction, 0.0), 1.0)
                self.fraction = min(max(self.fraction, value), 1.0)
        return OverallStatus(self.fraction, self._label(event), event.fraction)

    def _label(self, event: ProgressEvent) -> str:
        stage, message = event.stage, event.message
        if stage == "tokenize":
            return self._tokenize_label(message)
        if stage == "fingerprint":
            reading = _READING.match(message)
            return f"Reading {self._series_name(reading.group(1))}" if reading else "Identifying the study"
        if stage == "explain":
            what = f"Explaining {self.target}" if self.target else "Explaining"
            step = _PASS.search(message)
            return f"{what} (pass {step.group(1)}/{step.group(2)})" if step else what
        return {"model": "Loading the model", "vit": "Running Prima"}.get(stage, stage.capitalize())

    def _tokenize_label(self, message: str) -> str:
        start = _SERIES_START.match(message)
        if start:
            self._series = (int(start.group(1)), int(start.group(2)), start.group(3))
        elif self._series is not None:
            chunk = _SERIES_CHUNK.match(message)
            if chunk and chunk.group(1) != self._series[2]:  # a series we were not told of: keep counting
                self._series = (self._series[0], self._series[1], chunk.group(1))
        if self._series is None:
            return "Tokenizing"
        position, count, name = self._series
        return f"Tokenizing {self._series_name(name)} ({position}/{count})"

    def _series_name(self, model_name: str) -> str:
        return self.series_names.get(model_name) or readable_series(model_name)
