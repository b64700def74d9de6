"""``predict_study``: a study in, Prima's margins out, with progress, cancellation and a token cache.

Per series (in the release's order, see :mod:`.order`): read the voxels, resample and reorient
(:mod:`.preprocess`), choose and encode the kept tokens (:mod:`.tokenize`, or take them from the
:mod:`.cache`), build the 289-float token vectors. Then the model bundle's transformers and heads
turn the token vectors of all series into margins. A series that cannot be read or tokenized is
skipped with its reason; a study where no series is left is a ``UserError``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch

from prima_core.errors import Cancelled, UserError
from prima_core.io.study import Series, Study
from prima_core.pipeline.cache import TokenCache, series_key
from prima_core.pipeline.fingerprint import tokenizer_fingerprint
from prima_core.pipeline.order import release_order
from prima_core.pipeline.preprocess import prepare_series
from prima_core.pipeline.result import (
    DEFAULT_STUDY_DESCRIPTION,
    Prediction,
    SeriesResult,
    SkippedSeries,
    manifest_summary,
)
from prima_core.pipeline.tokenize import assemble_tokens, select_and_encode
from prima_core.progress import CancelToken, ProgressCallback, check, report


class _Clock:
    """Wall-clock seconds accumulated per stage."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}

    def add(self, stage: str, seconds: float) -> None:
        self.totals[stage] = self.totals.get(stage, 0.0) + seconds

    def timed(self, stage: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        try:
            return fn()
        finally:
            self.add(stage, time.perf_counter() - start)


def _autocast_name(bundle: Any) -> str:
    dtype = getattr(bundle.tokenizer, "autocast_dtype", None)
    return "fp32" if dtype is None else str(dtype).replace("torch.", "")


def _tokenize_series(
    series: Series,
    bundle: Any,
    *,
    cache: TokenCache | None,
    fingerprint: str,
    clock: _Clock,
    chunk_size: int | None,
    cancel: CancelToken | None,
    on_chunk: Callable[[int, int], None],
) -> SeriesResult:
    volume = clock.timed("load", series.load)
    prepared = clock.timed("preprocess", lambda: prepare_series(volume))
    key = series_key(volume, tokenizer_sha256=fingerprint, autocast=_autocast_name(bundle))
    encoded = cache.get(key) if cache is not None else None
    from_cache = encoded is not None
    if encoded is None:
        encoded = clock.timed(
            "tokenize",
            lambda: select_and_encode(
                prepared,
                bundle.tokenizer,
                device=bundle.device,
                chunk_size=chunk_size,
                cancel=cancel,
                on_chunk=on_chunk,
            ),
        )
        if cache is not None:
            cache.put(key, encoded)
    tokens = clock.timed("assemble", lambda: assemble_tokens(prepared, encoded))
    sel = encoded.selection
    return SeriesResult(
        name=series.model_name,
        series_instance_uid=series.series_instance_uid,
        tokens_total=sel.tokens_total,
        tokens_kept=int(len(sel.kept)),
        kept_coords=tokens.coords,
        padded_shape=prepared.grid.padded_shape,
        slice_axis=prepared.grid.slice_axis,
        percent=sel.percent,
        filter_calls=list(sel.filter_calls),
        from_cache=from_cache,
        prepared=prepared,
        tokens=tokens,
    )


def model_study_description(study: Study, override: str | None = None) -> str:
    """The study text Prima reads: the override, else the DICOM StudyDescription, else the default.

    A NIfTI study has no StudyDescription (the importer shows the file name there instead).
    """
    if override:
        return override
    from_dicom = not any(s.metadata.get("format") == "NIfTI" for s in study.series)
    return (study.description if from_dicom else "") or DEFAULT_STUDY_DESCRIPTION


def _resolve_cache(cache: TokenCache | bool | None) -> TokenCache | None:
    if cache is True:
        return TokenCache()
    if cache is False or cache is None:
        return None
    return cache


def _tokenize_study(
    ordered: list[Series],
    bundle: Any,
    *,
    cache: TokenCache | None,
    fingerprint: str,
    clock: _Clock,
    chunk_size: int | None,
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
) -> tuple[list[SeriesResult], list[SkippedSeries]]:
    """Tokenize every series in order; a series that fails is skipped with its reason."""
    results: list[SeriesResult] = []
    skipped: list[SkippedSeries] = []
    n = max(len(ordered), 1)
    for index, series in enumerate(ordered):
        check(cancel)
        report(progress, "tokenize", index / n, f"series {index + 1}/{n}: {series.model_name}")

        def on_chunk(done: int, total: int, index: int = index, name: str = series.model_name) -> None:
            report(progress, "tokenize", (index + done / max(total, 1)) / n, f"{name}: {done}/{total} tokens")

        try:
            results.append(
                _tokenize_series(
                    series,
                    bundle,
                    cache=cache,
                    fingerprint=fingerprint,
                    clock=clock,
                    chunk_size=chunk_size,
                    cancel=cancel,
                    on_chunk=on_chunk,
                )
            )
        except Cancelled:
            raise
        except (UserError, ValueError, OSError, RuntimeError, MemoryError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else repr(exc)
            skipped.append(SkippedSeries(series.model_name, reason))
    report(progress, "tokenize", 1.0, f"{len(results)} of {len(ordered)} series tokenized")
    return results, skipped


def _cache_and_fingerprint(cache: TokenCache | bool | None, bundle: Any) -> tuple[TokenCache | None, str]:
    cache_obj = _resolve_cache(cache)
    if cache_obj is None:
        return None, ""
    try:
        return cache_obj, tokenizer_fingerprint(bundle)
    except (ValueError, OSError):
        return None, ""  # weights we cannot identify are never cached


def predict_study(
    study: Study,
    bundle: Any,
    *,
    study_description: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    cache: TokenCache | bool | None = True,
    chunk_size: int | None = None,
) -> Prediction:
    """Run Prima on every series of ``study`` with a loaded model bundle.

    Parameters
    ----------
    study : Study
        From :func:`prima_core.io.open_studies`.
    bundle : ModelBundle
        From :func:`prima_core.model.bundle.load_bundle`; it fixes the device and precision.
    study_description : str, optional
        Overrides the study's own StudyDescription (default when both are empty:
        ``MRI BRAIN WO AND W CONTRAST``, as in the release).
    progress, cancel
        Progress events for the stages "tokenize" (per series and encoder chunk) and "vit";
        cancellation is checked between series and between encoder chunks (raises ``Cancelled``).
    cache : TokenCache | bool
        ``True``: the per-user token cache; ``False``/``None``: none; or a cache of your own.
    chunk_size : int, optional
        Patches per encoder call (default: :func:`prima_core.pipeline.encoder.default_chunk`).
    """
    clock = _Clock()
    started = time.perf_counter()
    cache_obj, fingerprint = _cache_and_fingerprint(cache, bundle)
    ordered = release_order(study.series)
    results, skipped = _tokenize_study(
        ordered,
        bundle,
        cache=cache_obj,
        fingerprint=fingerprint,
        clock=clock,
        chunk_size=chunk_size,
        progress=progress,
        cancel=cancel,
    )
    if not results:
        reasons = "; ".join(f"{s.name}: {s.reason}" for s in skipped) or "the study has no series"
        raise UserError(f"no series of this study could be used by Prima ({reasons})")

    description = model_study_description(study, study_description)
    check(cancel)
    report(progress, "vit", 0.0, "running the transformers and heads")
    vectors = [r.tokens.vectors for r in results]
    names = [r.name for r in results]
    output = clock.timed("vit", lambda: bundle.predict_tokens(vectors, names, description))
    report(progress, "vit", 1.0, "done")
    clock.add("total", time.perf_counter() - started)
    return Prediction(
        diagnosis=dict(output.diagnosis),
        referral=dict(output.referral),
        priority=dict(output.priority),
        study_embedding=list(torch.as_tensor(output.study_embedding).ravel().tolist()),
        series=results,
        skipped_series=skipped,
        model=manifest_summary(bundle.manifest, kind=str(bundle.kind)),
        study_description=description,
        device=str(bundle.device),
        precision=str(getattr(bundle, "precision", "fp32")),
        timings=clock.totals,
    )
