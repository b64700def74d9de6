"""The saliency methods, by their command-line names, and what each one means."""

from __future__ import annotations

from enum import StrEnum


class SaliencyMethod(StrEnum):
    ATTENTION_ROLLOUT = "attention_rollout"
    GRADIENT_X_INPUT = "gradient_x_input"
    INTEGRATED_GRADIENTS = "integrated_gradients"
    OCCLUSION = "occlusion"
    LIME = "lime"
    SERIES_CONTRIBUTION = "series_contribution"

    @property
    def target_agnostic(self) -> bool:
        """Rollout shows where the model reads from, the same map for every target."""
        return self is SaliencyMethod.ATTENTION_ROLLOUT

    @property
    def signed(self) -> bool:
        """Whether scores can be negative (evidence against the target)."""
        return self is not SaliencyMethod.ATTENTION_ROLLOUT

    @property
    def description(self) -> str:
        return DESCRIPTIONS[self]


DESCRIPTIONS = {
    SaliencyMethod.ATTENTION_ROLLOUT: (
        "Attention rollout through the sequence and study transformers: where the model reads "
        "from. Target-agnostic: the same map for every diagnosis."
    ),
    SaliencyMethod.GRADIENT_X_INPUT: (
        "Gradient x input on each token's latent features: a first-order estimate of how the "
        "token's content moves this output. One forward and backward pass."
    ),
    SaliencyMethod.INTEGRATED_GRADIENTS: (
        "Integrated Gradients from a per-series mean-content baseline: the scores add up to the "
        "output's change from the baseline."
    ),
    SaliencyMethod.OCCLUSION: (
        "Occlusion: how much the output drops when a patch's token is removed from the sequence, "
        "one patch at a time."
    ),
    SaliencyMethod.LIME: (
        "LIME: a weighted linear fit of the output on which patches were kept, over random subsets."
    ),
    SaliencyMethod.SERIES_CONTRIBUTION: (
        "Series contribution: the output minus the output without that series (one value per series)."
    ),
}


def default_fast_method() -> SaliencyMethod:
    """The method the viewer runs by default: target-specific and one backward pass."""
    return SaliencyMethod.GRADIENT_X_INPUT
