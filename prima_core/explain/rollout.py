"""Attention rollout (Abnar & Zuidema 2020) through Prima's two transformers.

Per layer the heads' attention is averaged, the identity is added (for the residual path) and
rows are renormalized, so every layer's matrix is row-stochastic; the layers are multiplied
from the last to the first. A token's relevance is the rollout from the sequence ViT's cls rows
to that token's column, weighted by its series' relevance: the rollout from the study ViT's
cls rows to that series vector's column.

Rollout is **target-agnostic**: it describes where the model's read-out tokens draw from, the
same for every diagnosis. Only the gradient and perturbation methods explain one target.

Each series runs through the sequence ViT on its own (no padding), under
``record_attention()``; only the rows of the cls tokens are carried through the layers, so the
cost per layer is (cls count x L x L), not L^3.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from prima_core.explain.forward import StudyFunction
from prima_core.model import record_attention


def mixed_attention(weights: Tensor) -> Tensor:
    """One layer's attention (heads, L, L) -> mean over heads + identity, rows summing to 1."""
    mean = weights.float().mean(dim=0)
    mixed = mean + torch.eye(mean.shape[-1], dtype=mean.dtype, device=mean.device)
    return mixed / mixed.sum(dim=-1, keepdim=True)


def rollout_rows(layers: Sequence[Tensor], rows: Sequence[int]) -> Tensor:
    """Rows ``rows`` of ``A_L @ ... @ A_1`` for row-stochastic (L, L) layer matrices, shape (R, L)."""
    if not layers:
        raise ValueError("rollout needs at least one layer")
    size = layers[0].shape[-1]
    out = torch.eye(size, dtype=layers[0].dtype, device=layers[0].device)[list(rows)]
    for layer in reversed(layers):
        out = out @ layer
    return out


def _cls_relevance(records: Sequence, cls_count: int) -> Tensor:
    """Mean over cls rows of the rollout of one sequence (batch 1), shape (L,)."""
    layers = [mixed_attention(r.weights[0]) for r in records]
    return rollout_rows(layers, range(cls_count)).mean(dim=0)


def attention_rollout(fn: StudyFunction) -> tuple[list[Tensor], Tensor, Tensor]:
    """Token relevance per series, the series relevance, and the series vectors (reused).

    Returns
    -------
    token_scores : list of (n_i,) tensors
        ``series_relevance[i] * inner_rollout[i][token]``.
    series_relevance : (S,) tensor
    series_vectors : (S, E) tensor
    """
    visual = fn.bundle.model.visual
    inner_first = visual.inner.cls_count + (1 if visual.series_names is not None else 0)
    outer_first = visual.outer.cls_count + (1 if visual.study_description is not None else 0)
    token_relevance, vectors = [], []
    with torch.inference_mode(), fn.autocast():
        for index, tokens in enumerate(fn.tokens):
            fn.tick()
            with record_attention() as recorder:
                vectors.append(fn.bundle.embed_series([tokens], [fn.names[index]]).float())
            relevance = _cls_relevance(recorder.for_prefix("inner."), visual.inner.cls_count)
            token_relevance.append(relevance[inner_first : inner_first + tokens.shape[0]])
            del recorder
        series_vectors = torch.cat(vectors)
        with record_attention() as recorder:
            fn.bundle.study_embedding_from_series_vectors(series_vectors, fn.description)
        outer = _cls_relevance(recorder.for_prefix("outer."), visual.outer.cls_count)
    series_relevance = outer[outer_first : outer_first + len(fn.tokens)]
    scores = [series_relevance[i] * rel for i, rel in enumerate(token_relevance)]
    fn.use_series_vectors(series_vectors)
    return scores, series_relevance, series_vectors
