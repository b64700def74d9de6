"""Cancel, failures, the results cache and closing the window while Prima runs."""

from __future__ import annotations

import time

import pytest

from app.main_window import MainWindow
from prima_core.analysis.analyzer import Analyzer
from prima_core.analysis.results_cache import ResultsCache
from prima_core.pipeline import predict
from tests.app.conftest import open_and_wait
from tests.app.test_analysis_support import (
    ANALYSIS_TIMEOUT,
    STUDY_A,
    analyze_and_wait,
    bundle_dir_fixture,  # noqa: F401 - the bundle_dir fixture
    shared_analyzer_fixture,  # noqa: F401 - the shared_analyzer fixture
    use_model,
)

pytestmark = pytest.mark.gui


@pytest.fixture
def predict_calls(monkeypatch):
    """Counts the calls of ``predict_study`` (the real one runs)."""
    calls = []
    real = predict.predict_study

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(predict, "predict_study", counting)
    return calls


def test_cancel_stops_a_slow_explanation(qtbot, window, bundle_dir, shared_analyzer):
    analyze_and_wait(qtbot, window, bundle_dir, shared_analyzer)
    feature, controller = window.analysis, window.analysis.controller
    before = controller.explanation
    events = []
    controller.progress.connect(events.append)
    feature.explanation_panel.set_method("lime")
    feature.explanation_panel.method_chosen.emit("lime")
    qtbot.waitUntil(lambda: any(e.stage == "explain" and e.fraction > 0 for e in events), timeout=60_000)
    assert feature.panel.progress.isVisible() and controller.busy
    started = time.monotonic()
    with qtbot.waitSignal(controller.cancelled, timeout=30_000):
        feature.panel.progress.cancel.click()
    qtbot.waitUntil(lambda: not controller.busy, timeout=30_000)
    assert time.monotonic() - started < 20
    assert controller.explanation is before  # the LIME run left nothing behind
    assert feature.explanation_panel.current_method() == str(before.method)  # its map is shown again
    assert not feature.panel.progress.isVisible()


def test_a_failing_worker_shows_a_dialog_and_the_window_stays_usable(qtbot, window, bundle_dir, monkeypatch):
    open_and_wait(qtbot, window, STUDY_A)
    use_model(window, bundle_dir)

    def broken(*_args, **_kwargs):
        raise RuntimeError("the model file is damaged")

    monkeypatch.setattr(window.analysis.controller.analyzer, "analyze", broken)
    qtbot.waitUntil(window.actions["analyze"].isEnabled, timeout=ANALYSIS_TIMEOUT)  # cache lookup done
    window.actions["analyze"].trigger()
    qtbot.waitUntil(lambda: bool(window.error_dialogs), timeout=30_000)
    box = window.error_dialogs[-1]
    assert box.windowTitle() == "Analysis failed" and "the model file is damaged" in box.text()
    qtbot.waitUntil(lambda: window.actions["analyze"].isEnabled(), timeout=10_000)
    box.close()
    assert window.isVisible() and not window.analysis.controller.busy


def test_a_study_opened_again_shows_its_cached_result_without_the_model(
    qtbot, window, bundle_dir, tmp_path, predict_calls
):
    cache = ResultsCache(tmp_path / "results")
    analyze_and_wait(qtbot, window, bundle_dir, Analyzer(cache=cache, device="cpu"))
    assert len(predict_calls) == 1
    ranked = [item.name for item in window.analysis.panel.list.list_model.items]

    again = MainWindow()
    qtbot.addWidget(again)
    again.show()
    fresh = Analyzer(cache=cache, device="cpu")
    use_model(again, bundle_dir, fresh)
    with qtbot.waitSignal(again.analysis.controller.result_ready, timeout=ANALYSIS_TIMEOUT):
        open_and_wait(qtbot, again, STUDY_A)
    panel = again.analysis.panel
    assert [item.name for item in panel.list.list_model.items] == ranked
    assert "cached result" in panel.model_facts.text()
    assert len(predict_calls) == 1 and fresh.loaded_model is None  # the model never ran, nor loaded
    again.close()


def test_closing_the_window_during_analysis_cancels_cleanly(qtbot, bundle_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("PRIMA_VIEWER_CACHE_DIR", str(tmp_path / "cold_cache"))  # the tokenizer must run
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    open_and_wait(qtbot, win, STUDY_A)
    use_model(win, bundle_dir, Analyzer(cache=ResultsCache(tmp_path / "results"), device="cpu"))
    stages = []
    win.analysis.controller.progress.connect(lambda event: stages.append(event.stage))
    qtbot.waitUntil(win.actions["analyze"].isEnabled, timeout=ANALYSIS_TIMEOUT)  # cache lookup done
    win.actions["analyze"].trigger()
    qtbot.waitUntil(lambda: "tokenize" in stages, timeout=ANALYSIS_TIMEOUT)
    started = time.monotonic()
    win.close()
    assert time.monotonic() - started < 15
    assert win.session.workers.pool.activeThreadCount() == 0
    qtbot.wait(100)  # late signals from the cancelled worker arrive: nothing may break
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").rglob("*.json"))
