"""``explain`` on the parity fixture model: faithfulness checks of every method, cache, progress,
cancellation, and that the tokenizer never runs again."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr
from torch import nn

from prima_core.errors import Cancelled, UserError
from prima_core.explain import ExplanationCache, SaliencyMethod, Target, TargetKind, explain
from prima_core.explain.forward import Baseline, StudyFunction, baseline_tokens
from prima_core.explain.rollout import mixed_attention, rollout_rows
from prima_core.model import record_attention
from prima_core.progress import CancelToken
from tests.core.test_explain_support import (
    TARGET,
    fixture_bundle_dir,
    load,
    predict_fixture,
    smaller,
    trained_bundle_dir,
)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return load(fixture_bundle_dir(tmp_path_factory))


@pytest.fixture(scope="module")
def prediction(bundle):
    return predict_fixture(bundle)


@pytest.fixture(scope="module")
def small(prediction):
    return smaller(prediction, 12)


def _flat(explanation) -> np.ndarray:
    return np.concatenate(explanation.token_scores)


def _margin(bundle, prediction, tokens=None, target=TARGET) -> float:
    out = bundle.predict_tokens(
        tokens or prediction.token_vectors(), prediction.series_names(), prediction.study_description
    )
    return out.diagnosis[target]


def test_the_tokenizer_never_runs(bundle, prediction, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the tokenizer ran during an explanation")

    monkeypatch.setattr(bundle.tokenizer, "encode_latents", refuse)
    monkeypatch.setattr(bundle.tokenizer, "forward", refuse, raising=False)
    for method in ("attention_rollout", "gradient_x_input", "series_contribution"):
        assert explain(prediction, bundle, target=TARGET, method=method).heatmaps


def test_full_value_is_the_predicted_margin(bundle, prediction):
    explanation = explain(prediction, bundle, target=TARGET, method="gradient_x_input")
    assert explanation.full_value == pytest.approx(prediction.diagnosis[TARGET], abs=1e-4)
    json.dumps(explanation.to_dict())  # serializable as it is


def test_rollout_layers_are_row_stochastic(bundle, prediction):
    tokens = prediction.token_vectors()[0]
    with torch.inference_mode(), record_attention() as recorder:
        bundle.embed_series([tokens], prediction.series_names()[:1])
    layers = [mixed_attention(r.weights[0]) for r in recorder.for_prefix("inner.")]
    assert len(layers) == 2
    for depth in range(1, len(layers) + 1):
        torch.testing.assert_close(layers[depth - 1].sum(-1), torch.ones(layers[0].shape[0]))
        rows = rollout_rows(layers[:depth], range(3))
        torch.testing.assert_close(rows.sum(-1), torch.ones(3))
        assert (rows >= 0).all()


def test_rollout_is_target_agnostic_and_says_so(bundle, prediction):
    a = explain(prediction, bundle, target=TARGET, method="attention_rollout")
    b = explain(prediction, bundle, target="priority:high", method="attention_rollout")
    np.testing.assert_allclose(_flat(a), _flat(b))
    assert (_flat(a) > 0).all()
    assert a.metadata["target_agnostic"] and a.to_dict()["target_agnostic"]
    assert "target-agnostic" in a.to_dict()["method_description"].lower()
    assert sum(a.metadata["series_relevance"]) <= 1.0 + 1e-6


def test_rollout_in_one_batch_equals_one_series_at_a_time(bundle, prediction, monkeypatch):
    from prima_core.explain import rollout

    together = explain(prediction, bundle, target=TARGET, method="attention_rollout")
    monkeypatch.setattr(rollout, "ATTENTION_BYTES", 1)
    assert rollout.series_groups([5, 9, 7], heads=2, depth=2, budget=1) == [[0], [1], [2]]
    alone = explain(prediction, bundle, target=TARGET, method="attention_rollout")
    assert alone.metadata["forward_passes"] == 3 and together.metadata["forward_passes"] == 1
    np.testing.assert_allclose(_flat(alone), _flat(together), rtol=1e-4, atol=1e-7)


def test_integrated_gradients_complete(bundle, small):
    explanation = explain(small, bundle, target=TARGET, method="integrated_gradients", steps=16)
    fn = StudyFunction(
        bundle,
        series_tokens=small.token_vectors(),
        series_names=small.series_names(),
        study_description=small.study_description,
        target=Target(TargetKind.DIAGNOSIS, TARGET),
    )
    base = torch.cat([baseline_tokens(t, Baseline.MEAN) for t in fn.tokens])[None]
    with torch.no_grad():
        change = float(fn.from_tokens(fn.concatenated().detach()) - fn.from_tokens(base))
    total = float(_flat(explanation).sum())
    assert abs(change) > 1e-4
    assert total == pytest.approx(change, rel=0.03)


def test_gradient_x_input_matches_autograd(bundle, prediction):
    explanation = explain(prediction, bundle, target=TARGET, method="gradient_x_input")
    tokens = [t.clone().requires_grad_(True) for t in prediction.token_vectors()]
    vectors = bundle.embed_series(tokens, prediction.series_names())
    embedding = bundle.study_embedding_from_series_vectors(vectors, prediction.study_description)
    bundle.heads_from_embedding(embedding, diagnoses=[TARGET], referrals=[], priority=False).diagnosis[
        TARGET
    ].backward()
    expected = np.concatenate([(t.grad * t.detach())[:, :256].sum(-1).numpy() for t in tokens])
    np.testing.assert_allclose(_flat(explanation), expected, rtol=1e-4, atol=1e-7)


def test_occlusion_score_is_the_drop_on_deleting_the_token(bundle, small):
    explanation = explain(small, bundle, target=TARGET, method="occlusion")
    series, index = max(
        ((s, i) for s, scores in enumerate(explanation.token_scores) for i in range(len(scores))),
        key=lambda si: abs(explanation.token_scores[si[0]][si[1]]),
    )
    tokens = small.token_vectors()
    tokens[series] = torch.cat([tokens[series][:index], tokens[series][index + 1 :]])
    drop = explanation.full_value - _margin(bundle, small, tokens)
    assert explanation.token_scores[series][index] == pytest.approx(drop, abs=1e-5)
    assert abs(drop) > 1e-6


def test_series_contributions_match_direct_reruns(bundle, prediction):
    explanation = explain(prediction, bundle, target=TARGET, method="series_contribution")
    full = prediction.diagnosis[TARGET]
    tokens, names = prediction.token_vectors(), prediction.series_names()
    for i, name in enumerate(names):
        out = bundle.predict_tokens(
            tokens[:i] + tokens[i + 1 :], names[:i] + names[i + 1 :], prediction.study_description
        )
        assert explanation.series_contributions[name] == pytest.approx(full - out.diagnosis[TARGET], abs=1e-4)
        assert np.all(explanation.token_scores[i] == explanation.series_contributions[name])
    assert explanation.regions == []


def test_lime_is_seeded_and_scores_every_token(bundle, small):
    a = explain(small, bundle, target=TARGET, method="lime", samples=16)
    b = explain(small, bundle, target=TARGET, method="lime", samples=16)
    np.testing.assert_array_equal(_flat(a), _flat(b))
    assert len(_flat(a)) == sum(len(s.kept_coords) for s in small.series)
    assert np.abs(_flat(a)).max() > 0
    assert a.params["samples"] == 16 and a.params["removal"] == "delete"


def _randomized(path):
    bundle = load(path)
    torch.manual_seed(1234)
    for module in bundle.model.modules():
        if hasattr(module, "reset_parameters") and module is not bundle.model:
            module.reset_parameters()
        for name, param in module.named_parameters(recurse=False):
            if "cls_token" in name:
                nn.init.normal_(param, std=0.02)
    return bundle


@pytest.mark.slow
@pytest.mark.parametrize("method", ["gradient_x_input", "integrated_gradients"])
def test_maps_change_when_the_weights_are_randomized(tmp_path_factory, method):
    """Adebayo et al. 2018: a map that survives re-initializing the model explains nothing."""
    path = trained_bundle_dir(tmp_path_factory)
    trained = load(path)
    prediction = predict_fixture(trained)
    target = next(iter(trained.model.diagnoses))
    a = explain(prediction, trained, target=target, method=method, steps=8)
    b = explain(prediction, _randomized(path), target=target, method=method, steps=8)
    rho = spearmanr(_flat(a), _flat(b)).statistic
    print(f"{method}: Spearman rho trained vs randomized = {rho:.3f} ({trained.kind} model)")
    assert rho < 0.5, f"rank correlation {rho:.2f} between trained and randomized maps"


def test_cache_returns_the_same_object_without_running(bundle, prediction, tmp_path):
    cache = ExplanationCache(disk=tmp_path / "explanations")
    first = explain(prediction, bundle, target=TARGET, method="gradient_x_input", cache=cache)
    events = []
    second = explain(
        prediction, bundle, target=TARGET, method="gradient_x_input", cache=cache, progress=events.append
    )
    assert second is first
    assert [e.message for e in events] == ["from the explanation cache"]
    other = explain(prediction, bundle, target="priority:high", method="gradient_x_input", cache=cache)
    assert other is not first and len(cache) == 2
    from_disk = ExplanationCache(disk=tmp_path / "explanations").get(first.metadata["cache_key"], prediction)
    assert from_disk is not None and from_disk is not first
    np.testing.assert_allclose(_flat(from_disk), _flat(first))
    assert [r.to_dict() for r in from_disk.regions] == [r.to_dict() for r in first.regions]
    np.testing.assert_array_equal(from_disk.heatmaps[1].array, first.heatmaps[1].array)


def test_progress_reaches_one_and_cancel_stops_at_the_next_batch(bundle, small):
    events = []
    explain(small, bundle, target=TARGET, method="occlusion", progress=events.append)
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {e.stage for e in events} == {"explain"}

    token, seen = CancelToken(), []

    def cancel_at_first_pass(event):
        seen.append(event.message)
        if "pass 1/" in event.message:
            token.cancel()

    with pytest.raises(Cancelled):
        explain(small, bundle, target=TARGET, method="occlusion", progress=cancel_at_first_pass, cancel=token)
    assert sum("pass" in m for m in seen) == 1


def test_unknown_target_lists_the_valid_names(bundle, prediction):
    with pytest.raises(UserError) as info:
        explain(prediction, bundle, target="no_such_finding")
    message = str(info.value)
    assert "\n" not in message and TARGET in message and "neurosurgery" in message and "high" in message


def test_bf16_autocast_where_the_cpu_has_it(tmp_path_factory, bundle, small):
    from prima_core.model.precision import cpu_has_native_bf16

    auto = load(fixture_bundle_dir(tmp_path_factory), precision="auto")
    explanation = explain(small, auto, target=TARGET, method=SaliencyMethod.GRADIENT_X_INPUT)
    assert explanation.params["autocast"] == ("bfloat16" if cpu_has_native_bf16() else "fp32")
    assert explanation.full_value == pytest.approx(_margin(bundle, small), abs=0.1)


def test_batched_study_embeddings_match_one_study_at_a_time(bundle, prediction):
    with torch.inference_mode():
        vectors = bundle.embed_series(prediction.token_vectors(), prediction.series_names())
        studies = torch.stack([vectors, vectors.flip(0), vectors * 0.5])
        batched = bundle.study_embeddings(studies, prediction.study_description)
        single = [
            bundle.study_embedding_from_series_vectors(v, prediction.study_description) for v in studies
        ]
    torch.testing.assert_close(batched, torch.stack(single), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(batched[0].numpy(), prediction.study_embedding, atol=1e-4)
