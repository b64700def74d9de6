"""Occlusion and LIME over tokens (captum), on a presence mask.

captum perturbs a (1, N) presence vector (1 = token kept); :meth:`StudyFunction.from_presence`
turns each perturbed copy into a study. One feature group per *patch*: a patch the selection
kept twice is removed with both its copies (otherwise its twin would still carry the content),
and its score is split evenly between the copies so that a patch's score is the sum over its
copies, as for the gradient methods.

Occlusion removes one patch at a time and scores ``f(study) - f(study without the patch)``; by
default the token is deleted from its sequence (see :mod:`.forward` for why this is more faithful
than replacing it). LIME samples random subsets of patches (each kept with probability 1/2),
weights the samples by an exponential kernel on the cosine distance of the binary mask (width
0.25, as the LIME image explainer) and fits a weighted ridge regression (alpha 1, as LIME's
default surrogate); the scores are its coefficients.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from captum.attr import FeatureAblation, Lime
from torch import Tensor

from prima_core.explain.forward import Baseline, Removal, StudyFunction, baseline_tokens

#: Perturbed studies per forward pass.
PERTURBATIONS_PER_EVAL = 16
LIME_KERNEL_WIDTH = 0.25
RIDGE_ALPHA = 1.0


def patch_groups(coords: Sequence[np.ndarray]) -> tuple[Tensor, Tensor]:
    """Group id per token (copies of one patch share an id) and each token's copy count."""
    ids, counts = [], []
    next_id = 0
    for series_coords in coords:
        c = np.asarray(series_coords, dtype=np.int64).reshape(-1, 3)
        _, inverse, copies = np.unique(c, axis=0, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(-1)
        ids.append(inverse + next_id)
        counts.append(copies[inverse])
        next_id += len(copies)
    return (
        torch.as_tensor(np.concatenate(ids))[None],
        torch.as_tensor(np.concatenate(counts), dtype=torch.float32),
    )


def _presence_function(fn: StudyFunction, removal: Removal, baseline: Baseline) -> Any:
    baselines = [baseline_tokens(t, baseline) for t in fn.tokens] if removal is Removal.REPLACE else None

    def forward(presence: Tensor) -> Tensor:
        return fn.from_presence(presence, removal=removal, baselines=baselines)

    return forward


def occlusion_batches(n_groups: int) -> int:
    """Forward passes of :func:`occlusion`: the unperturbed study, then the batches."""
    return 1 + math.ceil(n_groups / PERTURBATIONS_PER_EVAL)


def occlusion(
    fn: StudyFunction, coords: Sequence[np.ndarray], *, removal: Removal, baseline: Baseline
) -> Tensor:
    """Per-token occlusion scores (N,): the target's drop when the token's patch is removed."""
    groups, copies = patch_groups(coords)
    presence = torch.ones(1, fn.n_tokens)
    attributions = FeatureAblation(_presence_function(fn, removal, baseline)).attribute(
        presence, baselines=0.0, feature_mask=groups, perturbations_per_eval=PERTURBATIONS_PER_EVAL
    )
    return attributions[0].detach().float() / copies


class RidgeSurrogate:
    """Weighted ridge regression with intercept, solved exactly: LIME's interpretable model.

    Implements captum's interpretable-model protocol (``fit`` on a DataLoader of
    (inputs, outputs, weights), ``representation``, ``__call__``). With more features than
    samples it solves the n x n dual system.
    """

    def __init__(self, alpha: float = RIDGE_ALPHA) -> None:
        self.alpha = alpha
        self.coef: Tensor | None = None
        self.intercept = 0.0

    def fit(self, train_data: Any, **kwargs: object) -> dict[str, float]:
        xs, ys, ws = zip(*[(b[0], b[1], b[2]) for b in train_data], strict=True)
        x = torch.cat(xs).double()
        y = torch.cat(ys).double().reshape(-1)
        w = torch.cat(ws).double().reshape(-1).clamp_min(0)
        total = w.sum().clamp_min(1e-12)
        x_mean, y_mean = (w[:, None] * x).sum(0) / total, (w * y).sum() / total
        root = w.sqrt()[:, None]
        xs_, ys_ = root * (x - x_mean), root[:, 0] * (y - y_mean)
        n, p = xs_.shape
        if n < p:
            dual = torch.linalg.solve(xs_ @ xs_.T + self.alpha * torch.eye(n, dtype=x.dtype), ys_)
            coef = xs_.T @ dual
        else:
            coef = torch.linalg.solve(xs_.T @ xs_ + self.alpha * torch.eye(p, dtype=x.dtype), xs_.T @ ys_)
        self.coef = coef.float()
        self.intercept = float(y_mean - x_mean @ coef)
        return {"samples": float(n)}

    def representation(self) -> Tensor:
        assert self.coef is not None, "fit first"
        return self.coef[None]

    def __call__(self, x: Tensor) -> Tensor:
        return x.float() @ self.representation().T + self.intercept


def mask_similarity(original: Tensor, perturbed: Tensor, interpretable: Tensor, **kwargs: object) -> Tensor:
    """LIME sample weight: ``exp(-d^2 / width^2)`` with d the cosine distance between the sample's
    binary patch mask and the all-kept mask."""
    z = interpretable.float().reshape(-1)
    cosine = torch.sqrt(z.sum() / max(z.numel(), 1))
    return torch.exp(-((1.0 - cosine) ** 2) / LIME_KERNEL_WIDTH**2)


def lime_batches(n_samples: int) -> int:
    return math.ceil(n_samples / PERTURBATIONS_PER_EVAL)


def lime(
    fn: StudyFunction,
    coords: Sequence[np.ndarray],
    *,
    n_samples: int,
    removal: Removal,
    baseline: Baseline,
    seed: int = 0,
) -> Tensor:
    """Per-token LIME scores (N,): surrogate coefficients of each patch's presence."""
    groups, copies = patch_groups(coords)
    explainer = Lime(
        _presence_function(fn, removal, baseline),
        interpretable_model=RidgeSurrogate(),
        similarity_func=mask_similarity,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        attributions = explainer.attribute(
            torch.ones(1, fn.n_tokens),
            baselines=0.0,
            feature_mask=groups,
            n_samples=n_samples,
            perturbations_per_eval=PERTURBATIONS_PER_EVAL,
        )
    return attributions[0].detach().float() / copies
