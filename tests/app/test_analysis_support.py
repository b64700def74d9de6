"""Shared helpers for the analysis GUI tests: the fixture bundle, a shared analyzer, pixel probes.

(Named ``test_analysis_*`` so it sits with those tests; it holds no tests itself.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.screenshot import canvas_pixels
from prima_core.analysis.analyzer import Analyzer
from prima_core.analysis.results_cache import ResultsCache
from prima_core.geometry import voxel_value_at
from tests.app.conftest import open_and_wait
from tests.core.test_explain_support import STUDIES, fixture_bundle_dir

STUDY_A = STUDIES / "study_a"
ANALYSIS_TIMEOUT = 120_000  # ms; the shared 2-core machine can be slow


@pytest.fixture(scope="module", name="bundle_dir")
def bundle_dir_fixture(tmp_path_factory) -> Path:
    """The parity fixture converted once per test session."""
    return fixture_bundle_dir(tmp_path_factory)


@pytest.fixture(scope="module", name="shared_analyzer")
def shared_analyzer_fixture(tmp_path_factory) -> Analyzer:
    """One analyzer per module: the bundle is loaded once and the prediction kept in memory."""
    return Analyzer(cache=ResultsCache(tmp_path_factory.mktemp("results")), device="cpu")


def use_model(win, bundle: Path, analyzer: Analyzer | None = None) -> None:
    if analyzer is not None:
        win.analysis.controller.analyzer = analyzer
    win.analysis.panel.models.choose(str(bundle), emit=False)


def analyze_and_wait(qtbot, win, bundle: Path, analyzer: Analyzer | None = None, *, study: Path = STUDY_A):
    """Open a study, press Analyze and wait until the top diagnosis' heat map is shown."""
    open_and_wait(qtbot, win, study)
    use_model(win, bundle, analyzer)
    # Analyze is greyed while the results-cache lookup of the opened study runs (a loaded machine
    # makes that visible); a disabled action ignores trigger(), as it ignores a reader's click
    qtbot.waitUntil(win.actions["analyze"].isEnabled, timeout=ANALYSIS_TIMEOUT)
    with qtbot.waitSignal(win.analysis.controller.explanation_ready, timeout=ANALYSIS_TIMEOUT):
        win.actions["analyze"].trigger()
    win.mpr.flush()


def heat_at(view, heat, row: float, col: float) -> float:
    """The heat-map value under a canvas pixel (row 0 at the top); 0 outside the map."""
    value = voxel_value_at(heat, view.lps_at(col, view.canvas.height() - 1 - row))
    return float(value or 0.0)


def heat_samples(view, heat, *, step: int = 6, guard: int = 4) -> list[tuple[int, int, float]]:
    """(row, col, heat) on a grid of pixels whose neighbours (+-``guard`` px) share the same side of
    zero, so a probe never sits on a patch edge."""
    height, width = view.canvas.height(), view.canvas.width()
    out = []
    for row in range(step + guard, height - step - guard, step):
        for col in range(step + guard, width - step - guard, step):
            values = [heat_at(view, heat, row + dr, col + dc) for dr, dc in
                      ((0, 0), (guard, 0), (-guard, 0), (0, guard), (0, -guard))]  # fmt: skip
            if all(v == 0 for v in values) or all(v > 0 for v in values):
                out.append((row, col, min(values)))
    return out


def view_pixels(view) -> np.ndarray:
    return canvas_pixels(view.canvas).astype(int)
