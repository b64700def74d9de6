"""``Analyzer`` on the parity fixture: results cache, re-prediction for explanations, imports."""

from __future__ import annotations

import pytest

from prima_core.analysis.analyzer import Analyzer
from prima_core.analysis.model_import import import_official, suggested_name
from prima_core.analysis.results_cache import ResultsCache
from prima_core.errors import Cancelled, CheckpointRefused, UserError
from prima_core.io import open_studies
from prima_core.model_registry import list_models
from prima_core.paths import models_dir
from prima_core.pipeline import predict
from prima_core.progress import CancelToken
from tests.core.test_explain_support import FIXTURES, STUDIES, fixture_bundle_dir


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory):
    return fixture_bundle_dir(tmp_path_factory)


@pytest.fixture
def counted(monkeypatch):
    """Counts the calls of ``predict_study`` (the real one runs)."""
    calls = []
    real = predict.predict_study

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(predict, "predict_study", counting)
    return calls


def test_second_analysis_comes_from_the_results_cache(bundle_dir, tmp_path, counted):
    study = open_studies(STUDIES / "study_a").studies[0]
    analyzer = Analyzer(cache=ResultsCache(tmp_path), device="cpu")
    first = analyzer.analyze(study, bundle_dir)
    assert not first.from_cache and first.prediction is not None and len(counted) == 1
    assert len(first.differential.diagnoses) == 52

    again = Analyzer(cache=ResultsCache(tmp_path), device="cpu")  # a new session of the viewer
    reopened = open_studies(STUDIES / "study_a").studies[0]
    hit = again.cached(reopened, bundle_dir)
    assert hit is not None and hit.from_cache and hit.prediction is None and len(counted) == 1
    assert hit.result["diagnosis"] == first.result["diagnosis"]
    assert again.loaded_model is None  # the model was not even loaded

    analysis, explanation = again.explain(
        hit, reopened, target=hit.differential.diagnoses[0].name, method="gradient_x_input"
    )
    assert len(counted) == 2 and analysis.prediction is not None  # predicted again for the tokens
    assert all(s["from_cache"] for s in analysis.result["series"])  # ... from the token cache
    assert len(explanation.heatmaps) == 3 and explanation.regions
    assert analysis.series_uid(0) == analysis.prediction.series[0].series_instance_uid


def test_other_study_misses_the_cache(bundle_dir, tmp_path):
    analyzer = Analyzer(cache=ResultsCache(tmp_path), device="cpu")
    analyzer.analyze(open_studies(STUDIES / "study_a").studies[0], bundle_dir)
    assert analyzer.cached(open_studies(STUDIES / "study_b").studies[0], bundle_dir) is None


def test_cancel_stops_the_analysis(bundle_dir, tmp_path):
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        Analyzer(cache=ResultsCache(tmp_path)).analyze(
            open_studies(STUDIES / "study_a").studies[0], bundle_dir, cancel=token
        )


def test_import_refuses_a_bad_checkpoint_and_leaves_nothing(tmp_path):
    bad = tmp_path / "primafullmodel107.pt"
    bad.write_bytes(b"this is not a checkpoint" * 10)
    with pytest.raises(CheckpointRefused):
        import_official(full_model=bad, tokenizer=FIXTURES / "tokenizer_config.json", name="bad")
    assert list(models_dir().iterdir()) == [] and not list(models_dir().parent.glob(".importing-*"))


def test_import_checks_names_and_files(tmp_path):
    config = FIXTURES / "tokenizer_config.json"
    with pytest.raises(UserError, match="does not exist"):
        import_official(full_model=tmp_path / "missing.pt", tokenizer=config, name="x")
    for name in ("demo", "../up", "", "a b"):
        with pytest.raises(UserError, match="cannot name a model"):
            import_official(full_model=FIXTURES / "full_model.pt", tokenizer=config, name=name)
    assert suggested_name(tmp_path / "primafullmodel107.pt") == "primafullmodel107"


def test_import_official_adds_a_model(tmp_path):
    events = []
    path = import_official(
        full_model=FIXTURES / "full_model.pt",
        tokenizer=FIXTURES / "tokenizer_config.json",
        name="fixture-import",
        progress=events.append,
    )
    assert path == models_dir() / "fixture-import" and (path / "manifest.json").is_file()
    assert [e.name for e in list_models()] == ["demo", "fixture-import"] and events
    with pytest.raises(UserError, match="already imported"):
        import_official(
            full_model=FIXTURES / "full_model.pt", tokenizer=FIXTURES / "tokenizer.pth", name="fixture-import"
        )
