"""``explain``: one method's explanation of one target for a study already predicted.

Reuses the ``Prediction``'s token vectors (the tokenizer never runs again), reports progress
on the stage ``"explain"`` and checks cancellation before every forward pass (a cancelled run
raises ``Cancelled``). With an :class:`ExplanationCache`, a repeated request returns the cached
explanation without running the model.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from prima_core import DEMO_CAVEAT
from prima_core.explain.cache import ExplanationCache, explanation_key
from prima_core.explain.explanation import Explanation, build_explanation
from prima_core.explain.forward import Baseline, Removal, StudyFunction
from prima_core.explain.gradients import gradient_x_input, integrated_gradients, integrated_gradients_batches
from prima_core.explain.methods import SaliencyMethod, default_fast_method
from prima_core.explain.perturbation import lime, lime_batches, occlusion, occlusion_batches, patch_groups
from prima_core.explain.rollout import attention_rollout, rollout_passes
from prima_core.explain.targets import Target, resolve_target
from prima_core.progress import CancelToken, ProgressCallback, report

DEFAULT_STEPS = 16
DEFAULT_SAMPLES = 200  # the viewer's setting; the Prima paper's LIME setting is 1,000
STAGE = "explain"


def unique_names(names: list[str]) -> list[str]:
    """Series names made unique (``NAME``, ``NAME_2``, ...) for contributions and file names."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out


def series_contributions(fn: StudyFunction, names: list[str]) -> tuple[dict[str, float], float]:
    """Full value minus the value without each series (series vectors computed once)."""
    vectors = fn.series_vectors()
    with torch.inference_mode():
        full = fn.full_value()
        without = [torch.cat([vectors[:i], vectors[i + 1 :]]) for i in range(len(vectors))]
        values = fn.values_from_series_vectors(without).double().cpu().numpy()
    return {name: full - float(v) for name, v in zip(names, values, strict=True)}, full


def _params(method: SaliencyMethod, fn: StudyFunction, **options: Any) -> dict[str, Any]:
    dtype = None if method is SaliencyMethod.ATTENTION_ROLLOUT else fn.autocast_dtype
    params: dict[str, Any] = {"autocast": str(dtype or "fp32").replace("torch.", "")}
    if method is SaliencyMethod.INTEGRATED_GRADIENTS:
        params.update(steps=options["steps"], baseline=str(options["baseline"]))
    if method in (SaliencyMethod.OCCLUSION, SaliencyMethod.LIME):
        params.update(removal=str(options["removal"]))
        if options["removal"] is Removal.REPLACE:
            params.update(baseline=str(options["baseline"]))
    if method is SaliencyMethod.LIME:
        params.update(samples=options["samples"], seed=options["seed"])
    return params


def _expected_batches(
    method: SaliencyMethod, fn: StudyFunction, coords: list[np.ndarray], **options: Any
) -> int:
    if method is SaliencyMethod.ATTENTION_ROLLOUT:
        return rollout_passes(fn)
    if method is SaliencyMethod.INTEGRATED_GRADIENTS:
        return integrated_gradients_batches(fn, options["steps"]) + 2  # + captum's completeness check
    if method is SaliencyMethod.OCCLUSION:
        return occlusion_batches(int(patch_groups(coords)[0].max()) + 1)
    if method is SaliencyMethod.LIME:
        return lime_batches(options["samples"])
    return 1


def _scores(
    method: SaliencyMethod,
    fn: StudyFunction,
    coords: list[np.ndarray],
    contributions: dict[str, float],
    **options: Any,
) -> tuple[list[np.ndarray], dict[str, Any]]:
    """Per-series token scores and method-specific metadata."""
    extra: dict[str, Any] = {}
    if method is SaliencyMethod.ATTENTION_ROLLOUT:
        per_series, relevance, _ = attention_rollout(fn)
        extra["series_relevance"] = [float(v) for v in relevance]
        return [s.double().cpu().numpy() for s in per_series], extra
    if method is SaliencyMethod.SERIES_CONTRIBUTION:
        fn.tick()
        values = list(contributions.values())
        return [np.full(len(c), v) for c, v in zip(coords, values, strict=True)], extra
    if method is SaliencyMethod.GRADIENT_X_INPUT:
        flat = gradient_x_input(fn)
    elif method is SaliencyMethod.INTEGRATED_GRADIENTS:
        flat, delta = integrated_gradients(fn, n_steps=options["steps"], baseline=options["baseline"])
        extra["convergence_delta"] = delta
    elif method is SaliencyMethod.OCCLUSION:
        flat = occlusion(fn, coords, removal=options["removal"], baseline=options["baseline"])
    else:
        flat = lime(
            fn, coords, n_samples=options["samples"], removal=options["removal"],
            baseline=options["baseline"], seed=options["seed"],
        )  # fmt: skip
    return [s.double().cpu().numpy() for s in fn.split(flat)], extra


def _model_summary(bundle: Any, prediction: Any) -> dict[str, Any]:
    """Which model explained; a demo model carries its caveat."""
    summary: dict[str, Any] = {
        "name": str(getattr(bundle, "name", "")),
        "kind": str(getattr(bundle, "kind", "")),
    }
    if summary["kind"] == "demo":
        summary["caveat"] = DEMO_CAVEAT
    predicted_with = prediction.model.get("name")
    if predicted_with is not None and predicted_with != summary["name"]:
        summary["prediction_model"] = predicted_with  # the tokens came from another bundle
    return summary


def explain(
    prediction: Any,
    bundle: Any,
    *,
    target: str | Target,
    method: SaliencyMethod | str | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    steps: int = DEFAULT_STEPS,
    samples: int = DEFAULT_SAMPLES,
    baseline: Baseline | str = Baseline.MEAN,
    removal: Removal | str = Removal.DELETE,
    seed: int = 0,
    cache: ExplanationCache | None = None,
) -> Explanation:
    """Explain ``target`` (a diagnosis, referral or priority level name, or a ``Target``) for a
    ``Prediction`` made with ``bundle``, by ``method`` (default: ``default_fast_method()``).

    ``steps``: Integrated Gradients steps; ``samples``: LIME samples; ``baseline``: the
    reference content for IG and for replacement; ``removal``: delete (default) or replace
    tokens in occlusion and LIME. Raises ``UserError`` for an unknown target and ``Cancelled``
    when ``cancel`` is set.
    """
    started = time.perf_counter()
    method = default_fast_method() if method is None else SaliencyMethod(method)
    resolved = resolve_target(bundle, target)
    options = {"steps": int(steps), "samples": int(samples), "baseline": Baseline(baseline),
               "removal": Removal(removal), "seed": int(seed)}  # fmt: skip
    names = unique_names(prediction.series_names())
    coords = [np.asarray(s.kept_coords, dtype=np.int64).reshape(-1, 3) for s in prediction.series]
    fn = StudyFunction(
        bundle,
        series_tokens=prediction.token_vectors(),
        series_names=prediction.series_names(),
        study_description=prediction.study_description,
        target=resolved,
        cancel=cancel,
    )
    params = _params(method, fn, **options)
    key = None
    if cache is not None:
        key = explanation_key(prediction, bundle, target=str(resolved), method=str(method), params=params)
        hit = cache.get(key, prediction)
        if hit is not None:
            report(progress, STAGE, 1.0, "from the explanation cache")
            return hit
    expected = _expected_batches(method, fn, coords, **options)
    fn.on_batch = lambda done: report(
        progress, STAGE, min(done / expected, 0.99), f"{method}: pass {done}/{expected}"
    )
    report(progress, STAGE, 0.0, f"{method}: {fn.n_tokens} tokens in {len(names)} series")
    if method is SaliencyMethod.SERIES_CONTRIBUTION:
        contributions, full = series_contributions(fn, names)
        scores, extra = _scores(method, fn, coords, contributions, **options)
    else:  # the series vectors of rollout's and gradient x input's own pass are reused
        scores, extra = _scores(method, fn, coords, {}, **options)
        contributions, full = series_contributions(fn, names)
    metadata = {
        "target_agnostic": method.target_agnostic,
        "signed": method.signed,
        "note": method.description,
        "tokens": fn.n_tokens,
        "forward_passes": fn.calls,
        "seconds": round(time.perf_counter() - started, 3),
        "cache_key": key,
        **extra,
    }
    if "convergence_delta" in extra:
        metadata["baseline_value"] = full - float(sum(s.sum() for s in scores)) + extra["convergence_delta"]
    explanation = build_explanation(
        prediction,
        method=method,
        target=resolved,
        params=params,
        model=_model_summary(bundle, prediction),
        token_scores=scores,
        series_contributions=contributions,
        full_value=full,
        metadata=metadata,
        series_names=names,
        with_regions=method is not SaliencyMethod.SERIES_CONTRIBUTION,
    )
    if cache is not None and key is not None:
        cache.put(key, explanation)
    report(progress, STAGE, 1.0, f"{method}: done in {metadata['seconds']:.1f} s")
    return explanation
