"""Overall analysis progress: one value across the stages that only rises, and a label naming the
stage and series. Fed the core's event sequence of a five-series study (messages as
``prima_core`` writes them), then the events of a real analysis in the window."""

from __future__ import annotations

import numpy as np
import pytest

from app.analysis.overall_progress import ANALYSIS_STAGES, EXPLAIN_STAGES, OverallProgress
from app.widgets.analysis_progress import STEPS, AnalysisProgress
from prima_core.progress import ProgressEvent
from tests.app.conftest import open_and_wait
from tests.app.test_analysis_support import (
    ANALYSIS_TIMEOUT,
    STUDY_A,
    bundle_dir_fixture,  # noqa: F401 - the bundle_dir fixture
    use_model,
)

SERIES = ["AX_T1", "COR_T2", "AX_FLAIR", "SAG_T1_plus_C", "AX_DWI"]
TOKENS = 48


def study_events(series: list[str] = SERIES, *, passes: int = 8) -> list[ProgressEvent]:
    """What Analyze reports for a study, in order: identify, load, tokenize (per series and chunk),
    ViT, then the explanation of the top diagnosis (messages as the core writes them)."""
    n = len(series)
    events = [ProgressEvent("fingerprint", i / n, f"reading {name}") for i, name in enumerate(series)]
    events += [ProgressEvent("fingerprint", 1.0, "study identified")]
    events += [
        ProgressEvent("model", 0.0, "loading the model demo"),
        ProgressEvent("model", 1.0, "model demo on cpu"),
    ]
    for i, name in enumerate(series):
        events.append(ProgressEvent("tokenize", i / n, f"series {i + 1}/{n}: {name}"))
        for done in (16, 32, 48):
            events.append(
                ProgressEvent("tokenize", (i + done / TOKENS) / n, f"{name}: {done}/{TOKENS} tokens")
            )
    events += [ProgressEvent("tokenize", 1.0, f"{n} of {n} series tokenized")]
    events += [
        ProgressEvent("vit", 0.0, "running the transformers and heads"),
        ProgressEvent("vit", 1.0, "done"),
    ]
    events += [ProgressEvent("explain", 0.0, f"integrated_gradients: 240 tokens in {n} series")]
    events += [
        ProgressEvent("explain", min(k / passes, 0.99), f"integrated_gradients: pass {k}/{passes}")
        for k in range(1, passes + 1)
    ]
    return [*events, ProgressEvent("explain", 1.0, "integrated_gradients: done in 3.2 s")]


def test_overall_progress_rises_to_100_and_names_the_stage_and_series():
    tracker = OverallProgress(ANALYSIS_STAGES, target="Glioma")
    statuses = {}
    values = []
    for event in study_events():
        status = tracker.update(event)
        values.append(status.fraction)
        statuses[event.message] = status
    assert all(b >= a for a, b in zip(values, values[1:], strict=False))  # never goes back
    assert values[0] == 0.0 and values[-1] == pytest.approx(1.0)
    assert len(set(values)) > 25  # it moves within the stages, not only between them
    assert statuses["series 3/5: AX_FLAIR"].label == "Tokenizing AX FLAIR (3/5)"
    assert statuses["AX_FLAIR: 32/48 tokens"].label == "Tokenizing AX FLAIR (3/5)"
    assert statuses["series 4/5: SAG_T1_plus_C"].label == "Tokenizing SAG T1 plus C (4/5)"
    assert statuses["reading COR_T2"].label == "Reading COR T2"
    assert statuses["model demo on cpu"].label == "Loading the model"
    assert statuses["running the transformers and heads"].label == "Running Prima"
    assert statuses["integrated_gradients: pass 3/8"].label == "Explaining Glioma (pass 3/8)"
    named = OverallProgress(ANALYSIS_STAGES, series_names={"SAG_T1_plus_C": "SAG T1+C"})
    assert named.update(ProgressEvent("tokenize", 0.6, "series 4/5: SAG_T1_plus_C")).label == (
        "Tokenizing SAG T1+C (4/5)"  # the name the viewer shows, where the study gives one
    )
    tokenizing = [statuses[f"series {i}/5: {name}"].fraction for i, name in enumerate(SERIES, start=1)]
    assert 0.05 < tokenizing[0] < tokenizing[-1] < 0.7  # tokenizing is the bulk, explaining the rest


def test_a_skipped_or_repeated_stage_never_moves_the_value_back():
    tracker = OverallProgress(ANALYSIS_STAGES)
    tracker.update(ProgressEvent("fingerprint", 1.0, "study identified"))
    after_vit = tracker.update(ProgressEvent("vit", 1.0, "done")).fraction  # cached tokens: no tokenize
    assert after_vit == pytest.approx(0.7)  # identify + model + tokenize + ViT shares
    late = tracker.update(ProgressEvent("model", 0.0, "loading the model demo"))  # reloaded for explaining
    assert late.fraction == after_vit and late.label == "Loading the model"
    assert tracker.update(ProgressEvent("tokenize", 0.2, "series 1/3: AX_T1")).fraction == after_vit
    assert tracker.awaits("explain") and not tracker.awaits("vit")
    assert tracker.update(ProgressEvent("explain", 1.0, "from the explanation cache")).fraction == 1.0


def test_an_explanation_alone_fills_the_bar_by_itself():
    tracker = OverallProgress(EXPLAIN_STAGES, target="Meningioma")
    events = study_events(passes=4)[-6:]
    values = [tracker.update(event).fraction for event in events]
    assert values[0] == 0.0 and values[-1] == 1.0 and values == sorted(values)
    assert tracker.update(events[2]).label == "Explaining Meningioma (pass 2/4)"


@pytest.mark.gui
def test_progress_row_shows_overall_and_stage_progress(qtbot):
    row = AnalysisProgress()
    qtbot.addWidget(row)
    row.resize(420, 60)
    row.start("Starting the analysis\u2026", stages=ANALYSIS_STAGES, target="Glioma")
    assert row.isVisible() and row.percent.text() == "0 %"
    bars, texts = [], {}
    for event in study_events():
        row.show_event(event)
        bars.append(row.bar.value())
        texts[event.message] = (row.text.text(), row.stage_bar.value())
    assert bars == sorted(bars) and bars[-1] == STEPS and row.percent.text() == "100 %"
    assert texts["AX_FLAIR: 16/48 tokens"] == ("Tokenizing AX FLAIR (3/5)", round(STEPS * (2 + 1 / 3) / 5))
    assert row.text.toolTip() == "Explaining \u00b7 integrated_gradients: done in 3.2 s"  # the raw step
    row.begin_explanation("Meningioma", busy=False)  # another diagnosis chosen: a run of its own
    assert row.percent.text() == "0 %" and row.text.text() == "Explaining Meningioma\u2026"
    row.show_event(ProgressEvent("explain", 0.5, "integrated_gradients: pass 4/8"))
    assert row.bar.value() == STEPS // 2 and row.text.text() == "Explaining Meningioma (pass 4/8)"
    row.start("Starting the analysis\u2026", stages=ANALYSIS_STAGES)
    row.show_event(ProgressEvent("vit", 1.0, "done"))
    row.begin_explanation("Glioma", busy=True)  # the top diagnosis, as the last step of Analyze
    row.show_event(ProgressEvent("explain", 0.0, "integrated_gradients: 240 tokens in 5 series"))
    assert row.bar.value() == 700 and row.text.text() == "Explaining Glioma"
    row.start("Importing weights\u2026")  # one-stage work: the bar is that stage's own progress
    row.show_event(ProgressEvent("convert", 0.4, "writing the bundle"))
    assert row.bar.value() == 400 and not row.stage_bar.isVisible() and row.percent.text() == ""


@pytest.mark.gui
def test_a_real_analysis_fills_the_overall_bar_once(qtbot, window, bundle_dir, monkeypatch, tmp_path):
    """Cold caches, so every stage runs: the bar only rises, names each series and ends at 100 %."""
    monkeypatch.setenv("PRIMA_VIEWER_CACHE_DIR", str(tmp_path / "cold_cache"))
    progress = window.analysis.panel.progress
    seen = []
    open_and_wait(qtbot, window, STUDY_A)
    use_model(window, bundle_dir)
    # opening the study starts a results-cache lookup with its own progress; Analyze waits for it
    qtbot.waitUntil(window.actions["analyze"].isEnabled, timeout=ANALYSIS_TIMEOUT)
    window.analysis.controller.progress.connect(  # after the row's own slot: it has updated
        lambda event: seen.append((event.stage, progress.bar.value(), progress.text.text()))
    )
    with qtbot.waitSignal(window.analysis.controller.explanation_ready, timeout=ANALYSIS_TIMEOUT):
        window.actions["analyze"].trigger()
    stages = [stage for stage, _v, _t in seen]
    assert {"tokenize", "vit", "explain"} <= set(stages)  # the lookup already fingerprinted the files
    values = [value for _s, value, _t in seen]
    assert values == sorted(values) and values[-1] == STEPS
    assert np.diff(values).astype(bool).sum() > 5  # it moved along the way
    count = len(window.session.series_uids())
    tokenizing = {text for stage, _v, text in seen if stage == "tokenize"}
    assert any(text.startswith("Tokenizing ") and text.endswith(f" (1/{count})") for text in tokenizing)
    assert any(text.endswith(f" ({count}/{count})") for text in tokenizing)
    descriptions = {window.session.series(uid).description for uid in window.session.series_uids()}
    assert {text.removeprefix("Tokenizing ").rsplit(" (", 1)[0] for text in tokenizing} <= descriptions
    top = window.analysis.panel.list.list_model.items[0].display_name
    assert any(text.startswith(f"Explaining {top}") for stage, _v, text in seen if stage == "explain")
