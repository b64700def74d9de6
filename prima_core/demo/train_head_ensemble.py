"""The demo bundle's heads: the exact average of several head refits, held in one Prima head.

One head refit on the frozen study embeddings (``train_heads.refit_heads``) depends on its
random initialization more than one would like: refitting the shipped ViT's heads with another
init seed moved the single-finding "positive and ranked first" rate on 320 unseen studies by
3 points (85.4 % -> 82.3 %). Averaging several refits is the obvious remedy; what it measured is
in ``resources/demo_model/TRAINING.md`` (it is off in the recipe, ``head_ensemble`` 1).

Averaging costs nothing at inference time because Prima's ``Linear, ReLU, Linear, ReLU, Linear``
head can hold the mean of ``K`` such heads exactly, in one head ``K`` times as wide:

* first layer: the ``K`` first layers stacked (every refit sees the same input),
* middle layer: the ``K`` middle layers on the block diagonal (each refit's units stay its own;
  ReLU acts unit by unit, so the blocks never mix),
* last layer: the ``K`` last layers side by side, divided by ``K``, and the mean of their biases.

The result is a plain Prima head of widths ``(K * h1, K * h2)``: the bundle format, the loader
and the explanation code need nothing new.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace

import torch
from torch import Tensor, nn

from prima_core.demo.train_config import VitTrainConfig
from prima_core.demo.train_heads import refit_heads
from prima_core.demo.train_losses import Targets
from prima_core.demo.train_model import DIAGNOSIS_HEAD, REFERRAL_HEAD, build_demo_model
from prima_core.model.prima import PrimaModel
from prima_core.model.spec import PRIORITY_HEAD

HEAD_IDS = (DIAGNOSIS_HEAD, REFERRAL_HEAD, PRIORITY_HEAD)
# the refits' init seeds are the recipe seed plus these (clear of the per-epoch refit seeds)
ENSEMBLE_SEED_OFFSET = 1000


def _linears(head: nn.Module) -> list[nn.Linear]:
    layers = [m for m in head.modules() if isinstance(m, nn.Linear)]
    if len(layers) != 3:
        raise ValueError(f"expected Prima's three-layer head, found {len(layers)} linear layers")
    return layers


def average_heads(heads: Sequence[nn.Module]) -> dict[str, Tensor]:
    """State dict of one ``Linear, ReLU, Linear, ReLU, Linear`` head computing the mean of ``heads``."""
    if not heads:
        raise ValueError("no heads to average")
    k = len(heads)
    layers = [_linears(h) for h in heads]
    with torch.no_grad():
        return {
            "0.weight": torch.cat([l[0].weight for l in layers]),
            "0.bias": torch.cat([l[0].bias for l in layers]),
            "2.weight": torch.block_diag(*[l[1].weight for l in layers]),
            "2.bias": torch.cat([l[1].bias for l in layers]),
            "4.weight": torch.cat([l[2].weight for l in layers], dim=1) / k,
            "4.bias": torch.stack([l[2].bias for l in layers]).mean(0),
        }


def wide_config(config: VitTrainConfig, k: int) -> VitTrainConfig:
    """The ViT settings of a model whose heads hold ``k`` averaged heads."""
    return replace(config, head_hidden=tuple(w * k for w in config.head_hidden))


def ensemble_heads(
    model: PrimaModel,
    embeddings: Tensor,
    targets: Targets,
    config: VitTrainConfig,
    *,
    seed: int,
    k: int,
) -> PrimaModel:
    """A model of ``wide_config(config, k)`` with ``model``'s ViT and, as heads, the exact average
    of ``k`` refits on ``embeddings`` (init seeds ``seed + ENSEMBLE_SEED_OFFSET + i``).

    ``model`` itself is left as it was. Thresholds of the returned model are 0 (the caller
    chooses them on validation studies, as for any head).
    """
    if k < 1:
        raise ValueError(f"a head ensemble needs at least one refit, not {k}")
    work = copy.deepcopy(model)
    fitted: dict[str, list[nn.Module]] = {h: [] for h in HEAD_IDS}
    for i in range(k):
        refit_heads(work, embeddings, targets, config, seed=seed + ENSEMBLE_SEED_OFFSET + i)
        for head_id in HEAD_IDS:
            fitted[head_id].append(copy.deepcopy(work.heads.resident[head_id]))
    wide = build_demo_model(wide_config(config, k))
    trunk = {name: v for name, v in model.state_dict().items() if not name.startswith("heads.")}
    missing, unexpected = wide.load_state_dict(trunk, strict=False)
    if unexpected or any(not name.startswith("heads.") for name in missing):
        raise RuntimeError(f"the wide model does not match the trained one: {unexpected or missing}")
    for head_id in HEAD_IDS:
        wide.heads.resident[head_id].load_state_dict(average_heads(fitted[head_id]))
    return wide.eval()
