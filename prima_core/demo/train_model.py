"""The demo model: Prima's architecture (our ``prima_core.model`` classes) at small widths.

* sequence ViT of width D (tokens of 289 floats are zero-padded to D), ``inner_cls`` cls tokens,
  a series-name encoder; series vector width E;
* study ViT of width E with ``outer_cls`` cls tokens and a study-description encoder;
* heads ``Linear, ReLU, Linear, ReLU, Linear`` on the study embedding: ``diagnosis`` (one column
  per demo finding), ``referral`` (one per referral) and ``priority`` (none/low/medium/high).

``batched_logits`` runs several studies in one pass with the model's own modules (all series
through the sequence ViT together, then all studies through the study ViT, padded and masked);
a test checks it against the bundle's per-study ``predict_tokens``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from prima_core.demo.train_config import VitTrainConfig
from prima_core.demo.train_targets import PRIORITY_LEVELS, REFERRALS, diagnosis_names
from prima_core.model.labels import LabelRef
from prima_core.model.prima import PrimaModel
from prima_core.model.spec import (
    PRIORITY_HEAD,
    ModelSpec,
    NameEncoderSpec,
    TransformerSpec,
    VisualSpec,
    ViTSpec,
)

DIAGNOSIS_HEAD = "diagnosis"
REFERRAL_HEAD = "referral"
NAME_POSITION_CHANNELS = 10


def _transformer(dim: int, depth: int, heads: int, dim_head: int, mlp: int) -> TransformerSpec:
    return TransformerSpec(
        dim=dim, depth=depth, heads=heads, dim_head=dim_head, mlp_dim=mlp, project_out=True
    )


def _names(config: VitTrainConfig, out_dim: int) -> NameEncoderSpec:
    dim = config.name_dim
    return NameEncoderSpec(
        transformer=_transformer(dim, config.name_depth, 2, dim // 2, 2 * dim),
        out_dim=out_dim,
        embed_dim=dim - NAME_POSITION_CHANNELS,
    )


def demo_spec(config: VitTrainConfig) -> ModelSpec:
    """Every size of the demo model, from the recipe's settings."""
    d, e = config.width, config.series_dim
    visual = VisualSpec(
        inner=ViTSpec(
            _transformer(d, config.inner_depth, config.inner_heads, config.inner_dim_head, config.inner_mlp),
            config.inner_cls,
        ),
        outer=ViTSpec(
            _transformer(e, config.outer_depth, config.outer_heads, config.outer_dim_head, config.outer_mlp),
            config.outer_cls,
        ),
        series_dim=e,
        series_names=_names(config, d),
        study_description=_names(config, e),
    )
    embedding = visual.embedding_dim
    hidden = list(config.head_hidden)
    heads = {
        DIAGNOSIS_HEAD: [embedding, *hidden, len(diagnosis_names())],
        REFERRAL_HEAD: [embedding, *hidden, len(REFERRALS)],
        PRIORITY_HEAD: [embedding, *hidden, len(PRIORITY_LEVELS)],
    }
    return ModelSpec(visual=visual, heads=heads)


def build_demo_model(
    config: VitTrainConfig,
    *,
    diagnosis_thresholds: Sequence[float] | None = None,
    referral_thresholds: Sequence[float] | None = None,
) -> PrimaModel:
    """A fresh (or re-labelled) demo model; thresholds default to 0."""
    names = diagnosis_names()
    d_thr = list(diagnosis_thresholds) if diagnosis_thresholds is not None else [0.0] * len(names)
    r_thr = list(referral_thresholds) if referral_thresholds is not None else [0.0] * len(REFERRALS)
    return PrimaModel(
        demo_spec(config),
        diagnoses=[LabelRef(n, DIAGNOSIS_HEAD, i, float(d_thr[i])) for i, n in enumerate(names)],
        referrals=[LabelRef(n, REFERRAL_HEAD, i, float(r_thr[i])) for i, n in enumerate(REFERRALS)],
        priority_levels=list(PRIORITY_LEVELS),
    )


def prepare_for_training(model: PrimaModel, *, attention_gain: float) -> None:
    """Initialization for training from scratch: random cls tokens, sharper attention.

    With zero cls tokens every query starts equal and, with the default small ``qkv`` weights,
    attention starts nearly uniform over hundreds of tokens, so a small lesion is averaged away
    and the gradient that would teach attention to find it is tiny. Random cls tokens and
    ``qkv`` weights scaled by ``attention_gain`` start from peaked, varied attention instead.
    """
    with torch.no_grad():
        for vit in (model.visual.inner, model.visual.outer):
            nn.init.normal_(vit.cls_token, std=1.0)
            for block in vit.transformer.layers:
                block.attn.qkv.weight.mul_(attention_gain)


def batched_embeddings(
    model: PrimaModel,
    studies_tokens: Sequence[Sequence[Tensor]],
    studies_names: Sequence[Sequence[str]],
    descriptions: Sequence[str],
    *,
    series_out: list[Tensor] | None = None,
) -> Tensor:
    """Study embeddings (B, C_out * E) of several studies, in one pass per transformer level.

    ``series_out``, when given, receives the series vectors (all series of the batch, in order).
    """
    visual = model.visual
    flat_tokens = [t for tokens in studies_tokens for t in tokens]
    flat_names = [n for names in studies_names for n in names]
    vectors = visual.embed_series(flat_tokens, flat_names)
    if series_out is not None:
        series_out.append(vectors)
    counts = [len(tokens) for tokens in studies_tokens]
    prefix = visual.study_description(list(descriptions)) if visual.study_description is not None else None
    extra = 0 if prefix is None else 1
    longest = max(counts) + extra
    rows, start = [], 0
    for b, count in enumerate(counts):
        parts = [] if prefix is None else [prefix[b : b + 1]]
        parts.append(vectors[start : start + count])
        start += count
        row = torch.cat(parts, dim=0)
        rows.append(nn.functional.pad(row, (0, 0, 0, longest - row.shape[0])))
    lengths = torch.tensor([c + extra for c in counts], device=vectors.device)
    return visual.outer(torch.stack(rows), lengths)


def head_logits(model: PrimaModel, embeddings: Tensor) -> dict[str, Tensor]:
    """Raw outputs of every head (before thresholds), (B, n) each."""
    return model.heads.run(embeddings, [DIAGNOSIS_HEAD, REFERRAL_HEAD, PRIORITY_HEAD])
