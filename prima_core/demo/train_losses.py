"""Training targets, the forward pass used in training, and the losses of the demo model.

Study level: multi-label BCE for findings (positives up-weighted by sqrt(neg/pos)) and
referrals, cross-entropy for the priority level.

Token level (auxiliary, training only): a linear probe on the sequence ViT's token states after
each block predicts which finding's lesion mask the token's patch touches. The phantoms come
with lesion masks, and this dense signal teaches the sequence ViT what a lesion looks like far
faster than study labels alone, where a lesion is a few tokens among hundreds. The probes are
not part of the bundle; inference runs the model exactly as a released Prima model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from prima_core.demo.dataset_tokens import TokenizedStudy
from prima_core.demo.train_config import VitTrainConfig
from prima_core.demo.train_model import DIAGNOSIS_HEAD, REFERRAL_HEAD, batched_embeddings, head_logits
from prima_core.demo.train_targets import diagnosis_names, finding_vector, priority_level, referral_vector
from prima_core.model.prima import PrimaModel
from prima_core.model.spec import PRIORITY_HEAD


@dataclass
class Targets:
    findings: Tensor  # (n, n_findings)
    referrals: Tensor  # (n, n_referrals)
    priority: Tensor  # (n,) long

    @classmethod
    def of(cls, studies: Sequence[TokenizedStudy]) -> Targets:
        return cls(
            findings=torch.from_numpy(np.stack([finding_vector(s.labels) for s in studies])),
            referrals=torch.from_numpy(np.stack([referral_vector(s.labels) for s in studies])),
            priority=torch.tensor([priority_level(s.labels) for s in studies], dtype=torch.long),
        )

    def subset(self, index: np.ndarray) -> Targets:
        i = torch.from_numpy(np.asarray(index))
        return Targets(self.findings[i], self.referrals[i], self.priority[i])


@dataclass
class Outputs:
    logits: dict[str, Tensor]
    token_states: list[Tensor]  # per inner block: (n_series, length, D)


def forward(model: PrimaModel, studies: Sequence[TokenizedStudy], *, keep_states: bool = False) -> Outputs:
    """Head outputs for a batch of studies; optionally the sequence ViT's states after each block."""
    states: list[Tensor] = []
    hooks = []
    if keep_states:
        for block in model.visual.inner.transformer.layers:
            hooks.append(block.register_forward_hook(lambda _m, _i, out: states.append(out)))
    try:
        embeddings = batched_embeddings(
            model,
            [s.vectors for s in studies],
            [s.series_names for s in studies],
            [s.description for s in studies],
        )
    finally:
        for hook in hooks:
            hook.remove()
    return Outputs(head_logits(model, embeddings), states)


class TokenProbes(nn.Module):
    """One linear probe per sequence-ViT block: token state -> lesion logits per finding."""

    def __init__(self, width: int, depth: int, n_findings: int) -> None:
        super().__init__()
        self.probes = nn.ModuleList(nn.Linear(width, n_findings) for _ in range(depth))


class DemoLoss:
    """Study-level losses plus the token-level lesion loss (when token labels are present)."""

    def __init__(self, train: Sequence[TokenizedStudy], config: VitTrainConfig, probes: TokenProbes) -> None:
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

    def study_loss(self, logits: dict[str, Tensor], t: Targets) -> Tensor:
        bce = nn.functional.binary_cross_entropy_with_logits
        loss = bce(logits[DIAGNOSIS_HEAD], t.findings, pos_weight=self.pos_weight)
        loss = loss + self.config.referral_weight * bce(logits[REFERRAL_HEAD], t.referrals)
        ce = nn.functional.cross_entropy(logits[PRIORITY_HEAD], t.priority)
        return loss + self.config.priority_weight * ce

    def token_loss(self, states: list[Tensor], studies: Sequence[TokenizedStudy], offset: int) -> Tensor:
        """BCE of every probe on every real token (name and cls rows skipped)."""
        lesions = [x for s in studies for x in (s.lesions or [])]
        if not states or not len(self.token_columns) or len(lesions) != states[0].shape[0]:
            return torch.zeros(())
        labels = torch.cat([x[:, self.token_columns] for x in lesions]).float()
        total = torch.zeros(())
        for probe, state in zip(self.probes.probes, states, strict=True):
            rows = torch.cat([state[i, offset : offset + len(x)] for i, x in enumerate(lesions)])
            logits = probe(rows)[:, self.token_columns]
            total = total + nn.functional.binary_cross_entropy_with_logits(
                logits, labels, pos_weight=self.token_pos_weight
            )
        return total / len(states)

    def __call__(self, model: PrimaModel, studies: Sequence[TokenizedStudy], t: Targets) -> Tensor:
        want_states = self.config.token_weight > 0 and all(s.lesions is not None for s in studies)
        out = forward(model, studies, keep_states=want_states)
        loss = self.study_loss(out.logits, t)
        if want_states:
            offset = model.visual.inner.cls_count + (1 if model.visual.series_names is not None else 0)
            loss = loss + self.config.token_weight * self.token_loss(out.token_states, studies, offset)
        return loss
