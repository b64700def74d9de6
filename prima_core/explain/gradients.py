"""Gradient x input and Integrated Gradients on the token vectors (captum).

Per-token score = the sum of the attributions over the token's 256 latent features. The other
33 features (3D position code, orientation one-hot) say *where* a patch is, not what it shows:
gradient x input on them measures sensitivity to moving the patch (and the cosine terms are
non-zero even for an empty patch), which is not evidence from the image. The Integrated
Gradients baseline keeps each token's own position and orientation, so its attributions there
are exactly zero and the latent sum still satisfies completeness:
``sum(scores) = f(tokens) - f(baseline)`` up to the integration error.

Baseline: by default each series' mean latent (at every token's own position). The encoder's
zero vector is not "no tissue" -- every kept token is foreground, and a zero latent is a point the
model never saw -- while the series mean is "an average patch of this series here", so a score
says how this patch's content moves the target compared with a typical patch. ``zero`` is
available for comparison.
"""

from __future__ import annotations

import math

import torch
from captum.attr import InputXGradient, IntegratedGradients
from torch import Tensor

from prima_core.explain.forward import LATENT_FEATURES, Baseline, StudyFunction, baseline_tokens

#: Tokens per forward pass of the integration steps (bounds memory; several steps per batch).
BATCH_TOKENS = 4096


def steps_per_batch(n_tokens: int, n_steps: int) -> int:
    """How many integration steps go through the model together."""
    return max(1, min(n_steps, BATCH_TOKENS // max(n_tokens, 1)))


def latent_scores(attributions: Tensor) -> Tensor:
    """(1, N, 289) attributions -> (N,) per-token scores over the latent features."""
    return attributions[0, :, :LATENT_FEATURES].detach().float().sum(dim=-1)


def gradient_x_input(fn: StudyFunction) -> Tensor:
    """Per-token gradient x input (N,), one forward and one backward pass (whose series
    vectors are kept for the series contributions)."""
    fn.capture_next = True
    attributions = InputXGradient(fn.from_tokens).attribute(fn.concatenated())
    return latent_scores(attributions)


def study_baseline(fn: StudyFunction, kind: Baseline) -> Tensor:
    """Baseline tokens for the whole study, shape (1, N, 289)."""
    return torch.cat([baseline_tokens(t, kind) for t in fn.tokens])[None]


def integrated_gradients_batches(fn: StudyFunction, n_steps: int) -> int:
    return math.ceil(n_steps / steps_per_batch(fn.n_tokens, n_steps))


def integrated_gradients(fn: StudyFunction, *, n_steps: int, baseline: Baseline) -> tuple[Tensor, float]:
    """Per-token IG scores (N,) and captum's convergence delta (completeness error)."""
    inputs = fn.concatenated()
    base = study_baseline(fn, baseline)
    attributions, delta = IntegratedGradients(fn.from_tokens).attribute(
        inputs,
        baselines=base,
        n_steps=n_steps,
        internal_batch_size=steps_per_batch(fn.n_tokens, n_steps),
        return_convergence_delta=True,
    )
    return latent_scores(attributions), float(torch.as_tensor(delta).reshape(-1)[0])
