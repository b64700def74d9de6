"""``Analyzer``: the viewer's analysis work without a window (a script can drive it the same way).

It keeps one loaded model bundle (loading is the slow part), reads and writes the results cache,
runs ``predict_study`` when there is no cached result, and explains a diagnosis. A cached result
holds margins only; an explanation needs the token vectors, so it first runs ``predict_study``
again, which the token cache makes cheap (the tokenizer does not run twice for the same pixels).
Every step reports progress and honours a ``CancelToken``. torch is imported on first use only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from prima_core.analysis.differential import Differential, differential_from_result
from prima_core.analysis.fingerprint import bundle_identity, study_fingerprint
from prima_core.analysis.results_cache import ResultsCache
from prima_core.io.study import Study
from prima_core.progress import CancelToken, ProgressCallback, check, report


@dataclass
class AnalysisResult:
    """Prima's result for one study and model: the Prediction JSON, and the Prediction itself
    (token vectors included) when it was computed in this process."""

    study_uid: str
    fingerprint: str
    model_dir: Path
    model_identity: str
    result: dict[str, Any] = field(repr=False)
    prediction: Any | None = field(default=None, repr=False)
    from_cache: bool = False

    @cached_property
    def differential(self) -> Differential:
        return differential_from_result(self.result)

    def series_uid(self, index: int) -> str:
        """The SeriesInstanceUID of the ``index``-th series Prima read (explanation order)."""
        return str(self.result["series"][index]["series_instance_uid"])


class Analyzer:
    """Loads bundles, predicts (or reads cached results) and explains; one call at a time."""

    def __init__(self, *, cache: ResultsCache | None = None, device: str = "auto") -> None:
        self.cache = cache if cache is not None else ResultsCache()
        self.device = device
        self._bundle: Any = None
        self._bundle_dir: Path | None = None
        self._fingerprints: dict[int, tuple[Study, str]] = {}
        self._explanations: Any = None
        self._last: AnalysisResult | None = None  # the latest prediction, token vectors included

    @property
    def loaded_model(self) -> Path | None:
        return self._bundle_dir

    def bundle(self, model_dir: Path, *, progress: ProgressCallback | None = None) -> Any:
        """The loaded bundle of ``model_dir`` (loaded once; another model replaces it)."""
        model_dir = Path(model_dir).resolve()
        if self._bundle is not None and self._bundle_dir == model_dir:
            return self._bundle
        from prima_core.errors import UserError
        from prima_core.model import load_bundle

        self._bundle = self._bundle_dir = None  # free the old weights before reading the new ones
        report(progress, "model", 0.0, f"loading the model {model_dir.name}")
        try:
            self._bundle = load_bundle(model_dir, device=self.device)
        except ValueError as exc:  # a damaged bundle, or a device this computer lacks
            raise UserError(f"cannot load the model {model_dir.name}: {exc}") from None
        self._bundle_dir = model_dir
        report(progress, "model", 1.0, f"model {model_dir.name} on {self._bundle.device}")
        return self._bundle

    def fingerprint(
        self, study: Study, *, progress: ProgressCallback | None = None, cancel: CancelToken | None = None
    ) -> str:
        known = self._fingerprints.get(id(study))
        if known is not None and known[0] is study:
            return known[1]
        value = study_fingerprint(study, progress=progress, cancel=cancel)
        self._fingerprints[id(study)] = (study, value)
        return value

    def cached(
        self,
        study: Study,
        model_dir: Path,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> AnalysisResult | None:
        """The cached result for this study and model, without running the model."""
        fingerprint = self.fingerprint(study, progress=progress, cancel=cancel)
        identity = bundle_identity(model_dir)
        stored = self.cache.get(fingerprint, identity)
        if stored is None:
            return None
        last = self._last
        in_memory = last is not None and (last.fingerprint, last.model_identity) == (fingerprint, identity)
        return AnalysisResult(
            study.study_instance_uid,
            fingerprint,
            Path(model_dir),
            identity,
            stored,
            prediction=last.prediction if last is not None and in_memory else None,  # same images and model
            from_cache=True,
        )

    def analyze(
        self,
        study: Study,
        model_dir: Path,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        use_cache: bool = True,
    ) -> AnalysisResult:
        """The cached result when there is one (``use_cache``), else a fresh ``predict_study``."""
        if use_cache:
            hit = self.cached(study, model_dir, progress=progress, cancel=cancel)
            if hit is not None:
                return hit
        return self._predict(study, Path(model_dir), progress=progress, cancel=cancel)

    def _predict(
        self, study: Study, model_dir: Path, *, progress: ProgressCallback | None, cancel: CancelToken | None
    ) -> AnalysisResult:
        from prima_core.pipeline import predict

        fingerprint = self.fingerprint(study, progress=progress, cancel=cancel)
        identity = bundle_identity(model_dir)
        bundle = self.bundle(model_dir, progress=progress)
        check(cancel)
        prediction = predict.predict_study(study, bundle, progress=progress, cancel=cancel)
        result = prediction.to_dict()
        self.cache.put(fingerprint, identity, result)
        self._last = AnalysisResult(
            study.study_instance_uid, fingerprint, model_dir, identity, result, prediction=prediction
        )
        return self._last

    def explain(
        self,
        analysis: AnalysisResult,
        study: Study,
        *,
        target: str,
        method: str,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> tuple[AnalysisResult, Any]:
        """Explain ``target`` with ``method``; returns the (possibly recomputed) result and the
        ``Explanation``. A cached result is first predicted again (token cache: cheap)."""
        from prima_core.explain import ExplanationCache, explain

        if analysis.prediction is None:
            analysis = self._predict(study, analysis.model_dir, progress=progress, cancel=cancel)
        bundle = self.bundle(analysis.model_dir, progress=progress)
        if self._explanations is None:
            self._explanations = ExplanationCache(capacity=16)
        explanation = explain(
            analysis.prediction,
            bundle,
            target=target,
            method=method,
            progress=progress,
            cancel=cancel,
            cache=self._explanations,
        )
        return analysis, explanation

    def release(self) -> None:
        """Forget the loaded bundle and remembered studies (frees memory)."""
        self._bundle = self._bundle_dir = None
        self._fingerprints.clear()
        self._explanations = None
        self._last = None
