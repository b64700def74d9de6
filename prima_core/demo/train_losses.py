"""Training targets, the forward pass used in training, and the losses of the demo model.

Study level: multi-label BCE for findings (positives up-weighted by sqrt(neg/pos)) and
referrals, cross-entropy for the priority level.

Auxiliary terms (training only; their probes are not part of the bundle, and inference runs the
model exactly as a released Prima model):

* token lesions: a linear probe on the sequence ViT's token states after each block predicts
  which finding's lesion mask the token's patch touches (the phantoms come with masks);
* token statistics: a linear probe on the first block's token states predicts the bins of the
  patch's mean, maximum and 90th percentile (:mod:`.dataset_stats`);
* series: from each series vector, the findings visible in that series, the series' histogram of
  those statistics and its sequence type;
* study ViT attention: in its first block, cls token ``c`` attends to the series of sequence type
  ``c`` (one cls per type, plus free ones), so the study embedding keeps the sequence types apart.
* lesion attention: in the last block of the sequence ViT, its last cls token attends to the
  tokens that touch a lesion mask (in series that have such tokens); in the last block of the study
  ViT, its last (free) cls token attends to the series that have lesion tokens. The evidence for a
  finding then reaches the study embedding through the lesion itself, which is also what the
  explanation methods trace back.

Why: with a few hundred studies and study labels alone, the ViT trained from scratch stays at
chance (validation AUC about 0.5 after many epochs), while a linear model on the per-type
histograms separates most findings. The auxiliary terms teach the two levels to compute such
features; the study-level terms then use them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor, nn

from prima_core.demo.dataset_stats import SERIES_TYPES, STAT_BINS, STATS, series_type
from prima_core.demo.dataset_tokens import TokenizedStudy
from prima_core.demo.train_config import VitTrainConfig
from prima_core.demo.train_model import DIAGNOSIS_HEAD, REFERRAL_HEAD, batched_embeddings, head_logits
from prima_core.demo.train_targets import diagnosis_names, finding_vector, priority_level, referral_vector
from prima_core.model.prima import PrimaModel
from prima_core.model.spec import PRIORITY_HEAD
from prima_core.model.vit import record_attention


@dataclass
class Targets:
    findings: Tensor  # (n, n_findings)
    referrals: Tensor  # (n, n_referrals)
    priority: Tensor  # (n,) long
    known: Tensor | None = None  # (n, n_findings): 0 where a finding's label is unknown (masked)

    @classmethod
    def of(cls, studies: Sequence[TokenizedStudy], *, known: np.ndarray | None = None) -> Targets:
        return cls(
            findings=torch.from_numpy(np.stack([finding_vector(s.labels) for s in studies])),
            referrals=torch.from_numpy(np.stack([referral_vector(s.labels) for s in studies])),
            priority=torch.tensor([priority_level(s.labels) for s in studies], dtype=torch.long),
            known=None if known is None else torch.from_numpy(np.asarray(known, dtype=np.float32)),
        )

    def subset(self, index: np.ndarray) -> Targets:
        i = torch.from_numpy(np.asarray(index))
        known = None if self.known is None else self.known[i]
        return Targets(self.findings[i], self.referrals[i], self.priority[i], known)


@dataclass
class Outputs:
    logits: dict[str, Tensor]
    token_states: list[Tensor] = field(default_factory=list)  # per inner block: (n_series, length, D)
    series_vectors: Tensor | None = None  # (n_series, E)
    outer_attention: list[Tensor] | None = None  # per study-ViT block: (B, heads, L, L)
    inner_attention: list[Tensor] | None = None  # per sequence-ViT block: (n_series, heads, L, L)


def forward(
    model: PrimaModel,
    studies: Sequence[TokenizedStudy],
    *,
    keep_states: bool = False,
    attention: bool = False,
) -> Outputs:
    """Head outputs for a batch of studies; optionally what the auxiliary losses read."""
    states: list[Tensor] = []
    series: list[Tensor] = []
    hooks = []
    if keep_states:
        for block in model.visual.inner.transformer.layers:
            hooks.append(block.register_forward_hook(lambda _m, _i, out: states.append(out)))
    args = ([s.vectors for s in studies], [s.series_names for s in studies], [s.description for s in studies])
    try:
        if attention:
            with record_attention() as recorder:
                embeddings = batched_embeddings(model, *args, series_out=series)
            outer = [r.weights for r in recorder.for_prefix("outer.")]
            inner = [r.weights for r in recorder.for_prefix("inner.")]
        else:
            embeddings = batched_embeddings(model, *args, series_out=series)
            outer = inner = None
    finally:
        for hook in hooks:
            hook.remove()
    return Outputs(head_logits(model, embeddings), states, series[0], outer, inner)


class AuxiliaryProbes(nn.Module):
    """The training-only read-outs of the auxiliary losses."""

    def __init__(self, width: int, depth: int, series_dim: int, n_findings: int) -> None:
        super().__init__()
        self.probes = nn.ModuleList(nn.Linear(width, n_findings) for _ in range(depth))
        self.bins = nn.Linear(width, len(STATS) * STAT_BINS)
        self.series_findings = nn.Linear(series_dim, n_findings)
        self.series_stats = nn.Sequential(
            nn.Linear(series_dim, 128), nn.GELU(), nn.Linear(128, len(STATS) * STAT_BINS + len(SERIES_TYPES))
        )


def _bce(
    logits: Tensor, target: Tensor, pos_weight: Tensor | None = None, weight: Tensor | None = None
) -> Tensor:
    return nn.functional.binary_cross_entropy_with_logits(
        logits, target, weight=weight, pos_weight=pos_weight
    )


def rank_loss(logits: Tensor, findings: Tensor, known: Tensor | None = None) -> Tensor:
    """Pairwise ranking term: ``softplus(l_absent - l_present)`` averaged over every pair of a
    finding present and a finding absent in the same study (labels marked unknown take no part).

    Zero pairs (a normal study, or one with every label present) contribute nothing.
    """
    logits = logits.float()
    present = findings > 0.5
    absent = ~present
    if known is not None:
        present = present & (known > 0)
        absent = absent & (known > 0)
    pairs = present[:, :, None] & absent[:, None, :]  # (b, present i, absent j)
    if not bool(pairs.any()):
        return logits.sum() * 0.0
    gaps = logits[:, None, :] - logits[:, :, None]  # [b, i, j] = l_j - l_i
    return nn.functional.softplus(gaps[pairs]).mean()


class DemoLoss:
    """Study-level losses plus the auxiliary terms whose weights are non-zero."""

    def __init__(
        self, train: Sequence[TokenizedStudy], config: VitTrainConfig, probes: AuxiliaryProbes
    ) -> None:
        targets = Targets.of(train)
        pos = targets.findings.sum(0).clamp(min=1)
        neg = (len(train) - targets.findings.sum(0)).clamp(min=1)
        self.pos_weight = (neg / pos).sqrt()
        self.config = config
        self.probes = probes
        tokens_pos, tokens_all = torch.zeros(len(diagnosis_names())), 0
        for study in train:
            for lesion in study.lesions or []:
                tokens_pos += lesion.sum(0)
                tokens_all += len(lesion)
        self.token_columns = torch.nonzero(tokens_pos > 0).flatten()
        ratio = (tokens_all - tokens_pos) / tokens_pos.clamp(min=1)
        self.token_pos_weight = ratio.sqrt().clamp(1.0, 30.0)[self.token_columns]
        self.parts: dict[str, float] = {}  # last batch's value of every term (for the log)

    def study_loss(self, logits: dict[str, Tensor], t: Targets) -> Tensor:
        loss = _bce(logits[DIAGNOSIS_HEAD], t.findings, self.pos_weight, t.known)
        loss = loss + self.config.referral_weight * _bce(logits[REFERRAL_HEAD], t.referrals)
        ce = nn.functional.cross_entropy(logits[PRIORITY_HEAD], t.priority)
        loss = loss + self.config.priority_weight * ce
        if self.config.rank_weight > 0:
            loss = loss + self.config.rank_weight * rank_loss(logits[DIAGNOSIS_HEAD], t.findings, t.known)
        return loss

    def _token_rows(self, state: Tensor, lengths: Sequence[int], offset: int) -> Tensor:
        return torch.cat([state[i, offset : offset + n] for i, n in enumerate(lengths)])

    def token_loss(self, states: list[Tensor], lesions: list[Tensor], offset: int) -> Tensor:
        """BCE of every lesion probe on every real token (name and cls rows skipped)."""
        labels = torch.cat([x[:, self.token_columns] for x in lesions]).float()
        total = torch.zeros(())
        for probe, state in zip(self.probes.probes, states, strict=True):
            rows = self._token_rows(state, [len(x) for x in lesions], offset)
            logits = probe(rows)[:, self.token_columns]
            total = total + _bce(logits, labels, self.token_pos_weight)
        return total / len(states)

    def bins_loss(self, state: Tensor, bins: list[Tensor], offset: int) -> Tensor:
        rows = self._token_rows(state, [len(b) for b in bins], offset)
        logits = self.probes.bins(rows).view(-1, STAT_BINS)
        return nn.functional.cross_entropy(logits, torch.cat(bins).reshape(-1))

    def series_loss(self, vectors: Tensor, studies: Sequence[TokenizedStudy], t: Targets) -> Tensor:
        """Findings visible in each series (mask findings: the series has a lesion token)."""
        rows, known = [], []
        for b, study in enumerate(studies):
            for lesion in study.lesions or []:
                known.append(t.known[b] if t.known is not None else torch.ones_like(t.findings[b]))
                row = t.findings[b].clone()
                row[self.token_columns] = (
                    row[self.token_columns] * lesion[:, self.token_columns].any(0).float()
                )
                rows.append(row)
        return _bce(
            self.probes.series_findings(vectors), torch.stack(rows), self.pos_weight, torch.stack(known)
        )

    def series_stats_loss(self, vectors: Tensor, studies: Sequence[TokenizedStudy]) -> tuple[Tensor, Tensor]:
        out = self.probes.series_stats(vectors)
        n_hist = len(STATS) * STAT_BINS
        histograms = torch.cat([s.histograms for s in studies if s.histograms is not None])
        logits = out[:, :n_hist].reshape(-1, len(STATS), STAT_BINS)
        target = histograms.reshape(-1, len(STATS), STAT_BINS)
        hist = -(target * torch.log_softmax(logits, -1)).sum(-1).mean()
        types = torch.tensor([series_type(n) for s in studies for n in s.series_names])
        known = types >= 0
        kind = nn.functional.cross_entropy(out[known, n_hist:], types[known]) if known.any() else hist * 0
        return hist, kind

    def outer_attention_loss(self, weights: Tensor, studies: Sequence[TokenizedStudy], offset: int) -> Tensor:
        """Cls ``c`` of the study ViT's first block attends to the series of type ``c``."""
        terms = []
        for b, study in enumerate(studies):
            types = [series_type(n) for n in study.series_names]
            for c in sorted({t for t in types if 0 <= t < weights.shape[2]}):
                keys = torch.tensor([offset + j for j, t in enumerate(types) if t == c])
                terms.append(-torch.log(weights[b, :, c, keys].sum(-1) + 1e-6).mean())
        return torch.stack(terms).mean() if terms else torch.zeros(())

    def lesion_attention_loss(
        self, inner: Tensor, outer: Tensor, studies: Sequence[TokenizedStudy], offsets: tuple[int, int]
    ) -> Tensor:
        """-log of the attention mass the last cls puts on lesion tokens (inner) and series (outer).

        ``inner``: the sequence ViT's last-block weights (n_series, heads, L, L); ``outer``: the
        study ViT's last-block weights (B, heads, L, L); ``offsets``: where the first token
        (inner) and the first series (outer) sit in those sequences (after cls and name rows).
        """
        inner_offset, outer_offset = offsets
        query_inner, query_outer = self.config.inner_cls - 1, self.config.outer_cls - 1
        terms, row = [], 0
        for b, study in enumerate(studies):
            with_lesion = []
            for j, lesion in enumerate(study.lesions or []):
                hit = torch.nonzero(lesion[:, self.token_columns].any(1)).flatten()
                if hit.numel():
                    mass = inner[row + j, :, query_inner, inner_offset + hit].sum(-1).mean()
                    terms.append(-torch.log(mass + 1e-6))
                    with_lesion.append(j)
            if with_lesion:
                keys = torch.tensor(with_lesion) + outer_offset
                terms.append(-torch.log(outer[b, :, query_outer, keys].sum(-1).mean() + 1e-6))
            row += len(study.lesions or [])
        return torch.stack(terms).mean() if terms else torch.zeros(())

    def __call__(self, model: PrimaModel, studies: Sequence[TokenizedStudy], t: Targets) -> Tensor:
        c = self.config
        dense = all(
            s.lesions is not None and s.bins is not None and s.histograms is not None for s in studies
        )
        record = c.outer_attention_weight > 0 or c.lesion_attention_weight > 0
        out = forward(model, studies, keep_states=dense, attention=dense and record)
        loss = self.study_loss(out.logits, t)
        self.parts = {"study": float(loss.detach())}
        if not dense:
            return loss
        offset = model.visual.inner.cls_count + (1 if model.visual.series_names is not None else 0)
        lesions = [x for s in studies for x in (s.lesions or [])]
        bins = [x for s in studies for x in (s.bins or [])]
        terms: dict[str, tuple[float, Tensor]] = {}
        if c.token_weight > 0 and len(self.token_columns):
            terms["token"] = (c.token_weight, self.token_loss(out.token_states, lesions, offset))
        if c.stats_weight > 0:
            terms["bins"] = (c.stats_weight, self.bins_loss(out.token_states[0], bins, offset))
        if out.series_vectors is not None:
            if c.series_weight > 0:
                terms["series"] = (c.series_weight, self.series_loss(out.series_vectors, studies, t))
            hist, kind = self.series_stats_loss(out.series_vectors, studies)
            terms["histogram"] = (c.histogram_weight, hist)
            terms["type"] = (c.type_weight, kind)
        if out.outer_attention is not None:
            outer_offset = model.visual.outer.cls_count + (
                1 if model.visual.study_description is not None else 0
            )
            if c.outer_attention_weight > 0:
                terms["outer"] = (
                    c.outer_attention_weight,
                    self.outer_attention_loss(out.outer_attention[0], studies, outer_offset),
                )
            if c.lesion_attention_weight > 0 and len(self.token_columns):
                last_inner, last_outer = out.inner_attention[-1], out.outer_attention[-1]
                terms["lesion_attention"] = (
                    c.lesion_attention_weight,
                    self.lesion_attention_loss(last_inner, last_outer, studies, (offset, outer_offset)),
                )
        for name, (weight, value) in terms.items():
            loss = loss + weight * value
            self.parts[name] = float(value.detach())
        return loss
