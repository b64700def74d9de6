"""The model as a function of one study's token vectors, for one target.

Explanations never run the tokenizer again: they start from the token vectors on a
``Prediction`` and run only the sequence ViT, the study ViT and one head, through the bundle's
public differentiable pieces (``embed_series`` -> ``study_embedding_from_series_vectors`` ->
``heads_from_embedding``).

Two views of the same function, both batched over perturbed copies of the study:

* :meth:`StudyFunction.from_tokens` reads token vectors ``(B, N, 289)`` (all series concatenated
  in series order): what gradient methods differentiate.
* :meth:`StudyFunction.from_presence` reads a presence mask ``(B, N)`` (1 = token kept): what
  perturbation methods flip. An absent token is deleted from its sequence (the model reads
  variable-length sets of tokens, and the release itself drops most patches, so "this patch was
  not kept" is a state the model was trained on) or, on request, replaced by a baseline token.
  Series whose tokens are all present reuse their series vector from the unperturbed study.

Every call counts as one batch: cancellation is checked and progress reported there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from enum import StrEnum
from typing import Any

import torch
from torch import Tensor

from prima_core.explain.targets import Target
from prima_core.model.precision import Precision, cpu_has_native_bf16
from prima_core.progress import CancelToken, check

LATENT_FEATURES = 256  # token = latent (256) ++ position code (30) ++ orientation one-hot (3)


class Removal(StrEnum):
    """How a perturbation method removes a token: delete it, or put the baseline token there."""

    DELETE = "delete"
    REPLACE = "replace"


class Baseline(StrEnum):
    """The reference token content: per-series mean latent, or a zero latent. Either way the
    position code and orientation stay the token's own, so only image content is compared."""

    MEAN = "mean"
    ZERO = "zero"


def explain_autocast_dtype(bundle: Any) -> torch.dtype | None:
    """bf16 on a CPU with native bf16 when the bundle runs at ``auto`` precision; fp16 on CUDA
    under ``auto``; else fp32. (Measured at released size in ``benchmarks/bench_explain.py``:
    gradient x input 1.8x faster in bf16, Integrated Gradients about the same; attention rollout
    is slower in bf16 and always runs in fp32.)"""
    if Precision(str(getattr(bundle, "precision", "fp32"))) is not Precision.AUTO:
        return None
    device = torch.device(getattr(bundle, "device", "cpu"))
    if device.type == "cuda":
        return torch.float16
    return torch.bfloat16 if cpu_has_native_bf16() else None


def baseline_tokens(tokens: Tensor, kind: Baseline) -> Tensor:
    """One series' baseline: its tokens with the latent part set to the series mean (or zero)."""
    out = tokens.clone()
    if kind is Baseline.MEAN:
        out[:, :LATENT_FEATURES] = tokens[:, :LATENT_FEATURES].mean(dim=0, keepdim=True)
    else:
        out[:, :LATENT_FEATURES] = 0.0
    return out


class StudyFunction:
    """``f(tokens of one study) -> target value``, batched; see the module docstring."""

    def __init__(
        self,
        bundle: Any,
        *,
        series_tokens: Sequence[Tensor],
        series_names: Sequence[str],
        study_description: str,
        target: Target,
        cancel: CancelToken | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        device = torch.device(getattr(bundle, "device", "cpu"))
        self.bundle = bundle
        self.tokens = [t.detach().to(device=device, dtype=torch.float32) for t in series_tokens]
        self.names = list(series_names)
        self.description = study_description
        self.target = target
        self.cancel = cancel
        self.on_batch = on_batch
        self.counts = [int(t.shape[0]) for t in self.tokens]
        self.autocast_dtype = explain_autocast_dtype(bundle)
        self.calls = 0
        self.capture_next = False  # keep the series vectors of the next unperturbed pass
        self._series_vectors: Tensor | None = None
        self._full_value: float | None = None

    @property
    def n_tokens(self) -> int:
        return sum(self.counts)

    @property
    def device(self) -> torch.device:
        return self.tokens[0].device

    def autocast(self) -> AbstractContextManager:
        if self.autocast_dtype is None:
            return nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.autocast_dtype)

    def concatenated(self) -> Tensor:
        """All token vectors in series order, shape (1, N, 289), ready for gradients."""
        return torch.cat(self.tokens, dim=0)[None].requires_grad_(True)

    def split(self, values: Tensor) -> list[Tensor]:
        """Per-token values (N, ...) back into one tensor per series."""
        return list(torch.split(values, self.counts, dim=0))

    def tick(self) -> None:
        """One batch: check for cancellation, count it, report it."""
        check(self.cancel)
        self.calls += 1
        if self.on_batch is not None:
            self.on_batch(self.calls)

    def values_from_series_vectors(self, per_study: Sequence[Tensor]) -> Tensor:
        """Target value of each study given its series vectors (S_b, E): shape (B,)."""
        with self.autocast():
            if len({int(v.shape[0]) for v in per_study}) == 1:
                embeddings = self.bundle.study_embeddings(torch.stack(list(per_study)), self.description)
            else:
                embeddings = torch.stack(
                    [self.bundle.study_embedding_from_series_vectors(v, self.description) for v in per_study]
                )
            return self.target.value(self.bundle, embeddings).float()

    def _embed(self, sequences: list[Tensor], names: list[str]) -> Tensor:
        """Series vectors of many (perturbed) sequences in one pass, shape (len(sequences), E).

        One batched pass (padded to the longest, masked) costs about half the CPU time of the
        same sequences one at a time (measured at released size, ``bench_explain.py``).
        """
        with self.autocast():
            return self.bundle.embed_series(sequences, names).float()

    def use_series_vectors(self, vectors: Tensor, value: float | None = None) -> None:
        """Take the unperturbed series vectors (and target value) from a pass that computed them."""
        self._series_vectors = vectors.detach().float()
        self._full_value = value

    def series_vectors(self) -> Tensor:
        """The unperturbed study's series vectors (S, E), computed once."""
        if self._series_vectors is None:
            with torch.inference_mode():
                self._series_vectors = self._embed(self.tokens, self.names)
        return self._series_vectors

    def full_value(self) -> float:
        """The target's value for the unperturbed study."""
        if self._full_value is None:
            with torch.inference_mode():
                self._full_value = float(self.values_from_series_vectors([self.series_vectors()])[0])
        return self._full_value

    def from_tokens(self, x: Tensor) -> Tensor:
        """Target values for token vectors ``x`` (B, N, 289); differentiable in ``x``."""
        self.tick()
        batch, parts = x.shape[0], torch.split(x, self.counts, dim=1)
        sequences = [part[b] for b in range(batch) for part in parts]
        vectors = self._embed(sequences, self.names * batch).view(batch, len(parts), -1)
        values = self.values_from_series_vectors(list(vectors))
        if self.capture_next and batch == 1:
            self.capture_next = False
            self.use_series_vectors(vectors[0], float(values[0].detach()))
        return values

    def from_presence(
        self,
        presence: Tensor,
        *,
        removal: Removal = Removal.DELETE,
        baselines: Sequence[Tensor] | None = None,
    ) -> Tensor:
        """Target values for presence masks (B, N); tokens with presence < 0.5 are removed.

        Only the (copy, series) pairs with a removed token run through the sequence ViT, all in
        one pass; the others reuse the unperturbed series vectors.
        """
        self.tick()
        if removal is Removal.REPLACE and baselines is None:
            raise ValueError("replacement needs baseline tokens")
        with torch.inference_mode():
            keep = presence.detach().to(self.device) > 0.5
            vectors = self.series_vectors()[None].repeat(keep.shape[0], 1, 1)
            where, sequences, names = [], [], []
            for index, mask in enumerate(torch.split(keep, self.counts, dim=1)):
                tokens = self.tokens[index]
                for b in range(mask.shape[0]):
                    if bool(mask[b].all()):
                        continue
                    if removal is Removal.DELETE:
                        sequences.append(tokens[mask[b]])
                    else:
                        sequences.append(torch.where(mask[b][:, None], tokens, baselines[index]))  # type: ignore[index]
                    where.append((b, index))
                    names.append(self.names[index])
            if sequences:
                changed = self._embed(sequences, names).to(vectors.dtype)
                rows, cols = zip(*where, strict=True)
                vectors[list(rows), list(cols)] = changed
            return self.values_from_series_vectors(list(vectors))
