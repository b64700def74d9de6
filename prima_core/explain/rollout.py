"""Attention rollout (Abnar & Zuidema 2020) through Prima's two transformers.

Per layer the heads' attention is averaged, the identity is added (for the residual path) and
rows are renormalized, so every layer's matrix is row-stochastic; the layers are multiplied
from the last to the first. A token's relevance is the rollout from the sequence ViT's cls rows
to that token's column, weighted by its series' relevance: the rollout from the study ViT's
cls rows to that series vector's column.

Rollout is **target-agnostic**: it describes where the model's read-out tokens draw from, the
same for every diagnosis. Only the gradient and perturbation methods explain one target.

Series run through the sequence ViT together under ``record_attention()`` (in groups whose
recorded attention stays under ``ATTENTION_BYTES``); only the rows of the cls tokens are carried
through the layers, so the cost per layer is (cls count x L x L), not L^3.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from prima_core.explain.forward import StudyFunction
from prima_core.model import record_attention

#: Most bytes of attention weights recorded at once (series are grouped under it).
ATTENTION_BYTES = 512 << 20


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


def _cls_relevance(weights: Sequence[Tensor], cls_count: int, length: int) -> Tensor:
    """Mean over cls rows of the rollout of one sequence of ``length`` real positions, (length,).

    ``weights`` are the layers' (heads, L, L) attention of that sequence; positions past
    ``length`` are padding (masked keys), which the cls rows never reach.
    """
    layers = [mixed_attention(w[:, :length, :length]) for w in weights]
    return rollout_rows(layers, range(cls_count)).mean(dim=0)


def series_groups(
    lengths: Sequence[int], *, heads: int, depth: int, budget: int = ATTENTION_BYTES
) -> list[list[int]]:
    """Consecutive series that run together: their recorded attention stays under ``budget``."""
    groups: list[list[int]] = [[]]
    for index, length in enumerate(lengths):
        longest = max([length] + [lengths[i] for i in groups[-1]])
        if groups[-1] and (len(groups[-1]) + 1) * heads * longest**2 * 4 * depth > budget:
            groups.append([])
        groups[-1].append(index)
    return groups


def _groups(fn: StudyFunction) -> list[list[int]]:
    visual = fn.bundle.model.visual
    spec = fn.bundle.model.spec.visual.inner.transformer
    first = visual.inner.cls_count + (1 if visual.series_names is not None else 0)
    lengths = [first + n for n in fn.counts]
    return series_groups(lengths, heads=spec.heads, depth=spec.depth, budget=ATTENTION_BYTES)


def rollout_passes(fn: StudyFunction) -> int:
    """How many batches :func:`attention_rollout` runs the sequence ViT in."""
    return len(_groups(fn))


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
    lengths = [inner_first + n for n in fn.counts]
    token_relevance: list[Tensor] = [torch.empty(0)] * len(fn.tokens)
    vectors: list[Tensor] = [torch.empty(0)] * len(fn.tokens)
    with torch.inference_mode():  # fp32: bf16 autocast measured slower here (explicit softmax)
        for group in _groups(fn):
            fn.tick()
            with record_attention() as recorder:
                out = fn.bundle.embed_series([fn.tokens[i] for i in group], [fn.names[i] for i in group])
            records = recorder.for_prefix("inner.")
            for row, index in enumerate(group):
                relevance = _cls_relevance(
                    [r.weights[row] for r in records], visual.inner.cls_count, lengths[index]
                )
                token_relevance[index] = relevance[inner_first:]
                vectors[index] = out[row].float()
            del recorder, records
        series_vectors = torch.stack(vectors)
        with record_attention() as recorder:
            embedding = fn.bundle.study_embedding_from_series_vectors(series_vectors, fn.description)
        value = float(fn.target.value(fn.bundle, embedding[None])[0])
        outer_records = recorder.for_prefix("outer.")
        outer = _cls_relevance(
            [r.weights[0] for r in outer_records], visual.outer.cls_count, outer_first + len(vectors)
        )
    series_relevance = outer[outer_first:]
    scores = [series_relevance[i] * rel for i, rel in enumerate(token_relevance)]
    fn.use_series_vectors(series_vectors, value)
    return scores, series_relevance, series_vectors
