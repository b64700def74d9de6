"""The saliency methods as the viewer offers them: a label, and whether a run takes a while.

The values are :class:`prima_core.explain.SaliencyMethod`'s own (a test keeps the two in step);
they are repeated here so that the viewer can list them without importing torch at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MethodChoice:
    value: str  # a SaliencyMethod value
    label: str
    slow: bool  # many forward passes: run with progress and Cancel, never by surprise


METHOD_CHOICES = (
    MethodChoice("gradient_x_input", "Gradient \u00d7 input", slow=False),
    MethodChoice("attention_rollout", "Attention rollout (where the model reads)", slow=False),
    MethodChoice("series_contribution", "Series contribution", slow=False),
    MethodChoice("integrated_gradients", "Integrated gradients", slow=True),
    MethodChoice("occlusion", "Occlusion", slow=True),
    MethodChoice("lime", "LIME", slow=True),
)
DEFAULT_METHOD = "gradient_x_input"  # = prima_core.explain.default_fast_method()


def method_choice(value: str) -> MethodChoice:
    """The choice for a method value or label (case-insensitive); ``UserError`` when unknown."""
    wanted = value.strip().lower().replace("-", "_")
    for choice in METHOD_CHOICES:
        if wanted in (choice.value, choice.label.lower()):
            return choice
    from prima_core.errors import UserError

    known = ", ".join(c.value for c in METHOD_CHOICES)
    raise UserError(f"unknown saliency method {value!r}; choose one of {known}")
