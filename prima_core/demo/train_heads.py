"""Refit the demo model's heads on the frozen study embeddings of the training studies.

The heads (Prima's ``Linear, ReLU, Linear, ReLU, Linear``) trained together with the ViT, on
embeddings that change every step and come from augmented studies, generalize far worse than
the embeddings allow (measured: validation mean AUC 0.55 from the jointly trained heads, 0.78
from a linear read-out of the same embeddings). So after each epoch the heads are fitted again,
full batch, on the embeddings of the un-augmented training studies: inputs standardized (the
scaling is folded into the first layer afterwards, so the bundle holds plain heads), weight
decay, a fixed number of Adam steps.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from prima_core.demo.dataset_tokens import TokenizedStudy
from prima_core.demo.train_config import VitTrainConfig
from prima_core.demo.train_losses import Targets
from prima_core.demo.train_model import DIAGNOSIS_HEAD, REFERRAL_HEAD, batched_embeddings
from prima_core.model.heads import build_head
from prima_core.model.prima import PrimaModel
from prima_core.model.spec import PRIORITY_HEAD


def study_embeddings(model: PrimaModel, studies: Sequence[TokenizedStudy], *, batch: int = 8) -> Tensor:
    """(n, C_out * E) embeddings of whole studies (every series, every token)."""
    model.eval()
    parts = []
    with torch.inference_mode():
        for start in range(0, len(studies), batch):
            chunk = studies[start : start + batch]
            parts.append(
                batched_embeddings(
                    model,
                    [s.vectors for s in chunk],
                    [s.series_names for s in chunk],
                    [s.description for s in chunk],
                ).float()
            )
    return torch.cat(parts)


def _fold_standardization(head: nn.Sequential, mean: Tensor, std: Tensor) -> None:
    """Make ``head(x)`` equal what it computed on ``(x - mean) / std``."""
    first = head[0]
    assert isinstance(first, nn.Linear)
    with torch.no_grad():
        weight = first.weight / std
        first.bias.sub_(weight @ mean)
        first.weight.copy_(weight)


def refit_heads(
    model: PrimaModel, embeddings: Tensor, targets: Targets, config: VitTrainConfig, *, seed: int
) -> None:
    """Replace the model's three heads by heads fitted on ``embeddings`` (frozen)."""
    generator = torch.Generator().manual_seed(seed)
    mean = embeddings.mean(0)
    std = embeddings.std(0).clamp(min=1e-3)
    x = (embeddings - mean) / std
    pos = targets.findings.sum(0).clamp(min=1)
    neg = (len(x) - targets.findings.sum(0)).clamp(min=1)
    pos_weight = (neg / pos).sqrt()
    jobs = {
        DIAGNOSIS_HEAD: lambda out: nn.functional.binary_cross_entropy_with_logits(
            out, targets.findings, pos_weight=pos_weight
        ),
        REFERRAL_HEAD: lambda out: nn.functional.binary_cross_entropy_with_logits(out, targets.referrals),
        PRIORITY_HEAD: lambda out: nn.functional.cross_entropy(out, targets.priority),
    }
    bank = model.heads
    for head_id, loss_of in jobs.items():
        head = build_head(bank.dims[head_id])
        with torch.no_grad():  # seeded init, independent of the global generator
            for p in head.parameters():
                bound = 1.0 / max(p.shape[-1], 1) ** 0.5
                p.copy_(torch.rand(p.shape, generator=generator) * 2 * bound - bound)
        optimizer = torch.optim.AdamW(
            head.parameters(), lr=config.head_lr, weight_decay=config.head_weight_decay
        )
        for _ in range(config.head_steps):
            loss = loss_of(head(x))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        _fold_standardization(head, mean, std)
        bank.resident[head_id].load_state_dict(head.state_dict())
