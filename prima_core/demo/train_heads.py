"""Refit the demo model's heads on the frozen study embeddings of the training studies.

The heads (Prima's ``Linear, ReLU, Linear, ReLU, Linear``) trained together with the ViT, on
embeddings that change every step and come from augmented studies, generalize far worse than
the embeddings allow (measured: validation mean AUC 0.55 from the jointly trained heads, 0.78
from a linear read-out of the same embeddings). So after each epoch the heads are fitted again,
full batch, on the embeddings of the un-augmented training studies, inputs standardized (the
scaling is folded into the first layer afterwards, so the bundle holds plain heads).

Two fits (``VitTrainConfig.head_fit``):

* ``"mlp"`` (the recipe): the whole MLP, weight decay, a fixed number of Adam steps.
* ``"linear"``: L2-penalized logistic regression per label (class-balanced for the findings,
  multinomial for the priority), solved to convergence, then written *exactly* into Prima's
  ``Linear, ReLU, Linear, ReLU, Linear`` head: the first layer computes ``z`` and ``-z``, the
  middle layer passes both on, the last returns ``relu(z) - relu(-z) = z``. On the shipped ViT's
  frozen embeddings it scored 0.897 mean AUC against the MLP's 0.877 on 192 validation studies
  never used to choose anything, but ranked single findings first no more often, and a recipe
  run with it and more data did worse on unseen studies (``resources/demo_model/TRAINING.md``).
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


def _fit_linear(
    x: Tensor, loss_of, outputs: int, l2: float, *, iterations: int = 300
) -> tuple[Tensor, Tensor]:
    """Weights (outputs, d) and bias minimizing ``loss_of(x @ W.T + b) + l2/2 * |W|^2`` (L-BFGS)."""
    x = x.double()
    weight = torch.zeros(outputs, x.shape[1], dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(outputs, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS(
        [weight, bias], lr=1.0, max_iter=iterations, tolerance_grad=1e-9, tolerance_change=1e-12,
        history_size=20, line_search_fn="strong_wolfe",
    )  # fmt: skip

    def closure() -> Tensor:
        optimizer.zero_grad()
        loss = loss_of(x @ weight.T + bias) + 0.5 * l2 * weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return weight.detach().float(), bias.detach().float()


def linear_as_head(weight: Tensor, bias: Tensor, dims: list[int]) -> nn.Sequential:
    """Prima's ``Linear, ReLU, Linear, ReLU, Linear`` head that computes ``x @ weight.T + bias``.

    Layer 1 gives ``[z, -z]`` (zero-padded), layer 2 passes them on, layer 3 returns
    ``relu(z) - relu(-z)``. Needs every hidden width >= 2 * outputs.
    """
    k = weight.shape[0]
    if not _holds_linear_map(dims) or dims[0] != weight.shape[1] or dims[3] != k:
        raise ValueError(f"a linear map {weight.shape[1]} -> {k} does not fit a head of widths {dims}")
    head = build_head(dims)
    first, middle, last = head[0], head[2], head[4]
    assert isinstance(first, nn.Linear) and isinstance(middle, nn.Linear) and isinstance(last, nn.Linear)
    with torch.no_grad():
        for layer in (first, middle, last):
            layer.weight.zero_()
            layer.bias.zero_()
        first.weight[:k] = weight
        first.weight[k : 2 * k] = -weight
        first.bias[:k] = bias
        first.bias[k : 2 * k] = -bias
        middle.weight[: 2 * k, : 2 * k] = torch.eye(2 * k)
        last.weight[:, :k] = torch.eye(k)
        last.weight[:, k : 2 * k] = -torch.eye(k)
    return head


def _holds_linear_map(dims: list[int]) -> bool:
    """Whether a head of these widths can carry ``linear_as_head`` (two hidden layers >= 2 x outputs)."""
    return len(dims) == 4 and min(dims[1:3]) >= 2 * dims[-1]


def check_head_widths(model: PrimaModel, config: VitTrainConfig) -> None:
    """Refuse, before training starts, a linear head fit that the head widths cannot hold."""
    if config.head_fit != "linear":
        return
    for head_id, dims in model.heads.dims.items():
        if not _holds_linear_map(dims):
            raise ValueError(
                f"head {head_id!r} of widths {dims}: the linear head fit needs two hidden layers of "
                f"at least {2 * dims[-1]} units (or head_fit='mlp')"
            )


def _balanced_bce(truth: Tensor):
    """Per label, the mean logistic loss with its positives and negatives weighted to equal totals
    (summed over labels, so each label's fit is the same as if it were fitted alone)."""
    truth = truth.double()
    pos = truth.sum(0).clamp(min=1)
    neg = (len(truth) - truth.sum(0)).clamp(min=1)
    weights = torch.where(truth > 0, len(truth) / (2 * pos), len(truth) / (2 * neg))
    return lambda out: (
        nn.functional.binary_cross_entropy_with_logits(out, truth, weight=weights, reduction="sum")
        / len(truth)
    )


def refit_heads(
    model: PrimaModel, embeddings: Tensor, targets: Targets, config: VitTrainConfig, *, seed: int
) -> None:
    """Replace the model's three heads by heads fitted on ``embeddings`` (frozen)."""
    mean = embeddings.mean(0)
    std = embeddings.std(0).clamp(min=1e-3)
    x = (embeddings - mean) / std
    if config.head_fit == "linear":
        _refit_linear(model, x, targets, config.head_l2)
    elif config.head_fit == "mlp":
        _refit_mlp(model, x, targets, config, seed=seed)
    else:
        raise ValueError(f"unknown head fit {config.head_fit!r} (linear or mlp)")
    for head_id in (DIAGNOSIS_HEAD, REFERRAL_HEAD, PRIORITY_HEAD):
        head = model.heads.resident[head_id]
        assert isinstance(head, nn.Sequential)
        _fold_standardization(head, mean, std)


def _refit_linear(model: PrimaModel, x: Tensor, targets: Targets, l2: float) -> None:
    jobs = {
        DIAGNOSIS_HEAD: _balanced_bce(targets.findings),
        REFERRAL_HEAD: _balanced_bce(targets.referrals),
        PRIORITY_HEAD: lambda out: nn.functional.cross_entropy(out, targets.priority),
    }
    bank = model.heads
    for head_id, loss_of in jobs.items():
        dims = bank.dims[head_id]
        weight, bias = _fit_linear(x, loss_of, dims[-1], l2)
        bank.resident[head_id].load_state_dict(linear_as_head(weight, bias, dims).state_dict())


def _refit_mlp(model: PrimaModel, x: Tensor, targets: Targets, config: VitTrainConfig, *, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
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
        bank.resident[head_id].load_state_dict(head.state_dict())
