"""Prima's differential as a reader sees it: every diagnosis ranked by margin, with display names.

Built from the Prediction JSON (``Prediction.to_dict()``, or the same JSON from the results
cache), so a cached result and a fresh one read alike. Margins are not probabilities: ``> 0``
means positive at the operating point the Prima authors chose (the threshold is the zero line).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from prima_core import DEMO_CAVEAT, RESEARCH_CAVEAT
from prima_core.catalogue import diagnosis_info, priority_display_name, referral_info
from prima_core.errors import UserError

MINUS = "\u2212"


@dataclass(frozen=True)
class RankedLabel:
    """One diagnosis or referral with its margin."""

    name: str
    display_name: str
    group: str
    description: str
    margin: float

    @property
    def positive(self) -> bool:
        return self.margin > 0


@dataclass(frozen=True)
class Differential:
    """Ranked diagnoses and referrals, the priority level, the model and the caveats."""

    diagnoses: list[RankedLabel]
    referrals: list[RankedLabel]
    priority_scores: dict[str, float]
    model: dict[str, Any] = field(default_factory=dict)
    device: str = ""

    @property
    def is_demo(self) -> bool:
        return self.model.get("kind") == "demo"

    @property
    def caveats(self) -> list[str]:
        return caveats_for(self.model)

    @property
    def positives(self) -> list[RankedLabel]:
        return [d for d in self.diagnoses if d.positive]

    @property
    def positive_referrals(self) -> list[RankedLabel]:
        return [r for r in self.referrals if r.positive]

    @property
    def priority_level(self) -> str | None:
        """The highest-scoring priority level (``None`` when the model has no priority head)."""
        if not self.priority_scores:
            return None
        return max(self.priority_scores, key=lambda level: self.priority_scores[level])

    @property
    def priority_display(self) -> str:
        level = self.priority_level
        return priority_display_name(level) if level else "No priority head"

    def groups(self) -> list[str]:
        return sorted({d.group for d in self.diagnoses})

    def matching(self, text: str = "", group: str | None = None) -> list[RankedLabel]:
        """Diagnoses whose name, display name, group or description contains ``text``."""
        needle = text.strip().lower()
        return [
            d
            for d in self.diagnoses
            if (group is None or d.group == group)
            and (
                not needle
                or any(needle in s.lower() for s in (d.name, d.display_name, d.group, d.description))
            )
        ]

    def find(self, query: str) -> RankedLabel:
        """A diagnosis by model name or display name (case-insensitive); ``UserError`` if none."""
        wanted = query.strip().lower()
        for item in self.diagnoses:
            if wanted in (item.name.lower(), item.display_name.lower()):
                return item
        names = [d.name for d in self.diagnoses] + [d.display_name for d in self.diagnoses]
        close = difflib.get_close_matches(query, names, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see the differential for the names"
        raise UserError(f"this model has no diagnosis named {query!r}{hint}")


def caveats_for(model: Mapping[str, Any]) -> list[str]:
    """The caveats a result must carry: the demo model's first, then research use."""
    return [DEMO_CAVEAT, RESEARCH_CAVEAT] if model.get("kind") == "demo" else [RESEARCH_CAVEAT]


def _ranked(margins: Mapping[str, float], info) -> list[RankedLabel]:  # noqa: ANN001 - catalogue lookup
    items = []
    for name, margin in margins.items():
        label = info(name)
        items.append(RankedLabel(name, label.display_name, label.group, label.description, float(margin)))
    return sorted(items, key=lambda item: (-item.margin, item.display_name))


def differential_from_result(result: Mapping[str, Any]) -> Differential:
    """The differential of a Prediction JSON (``Prediction.to_dict()``)."""
    return Differential(
        diagnoses=_ranked(result.get("diagnosis", {}), diagnosis_info),
        referrals=_ranked(result.get("referral", {}), referral_info),
        priority_scores={str(k): float(v) for k, v in result.get("priority", {}).items()},
        model=dict(result.get("model", {})),
        device=str(result.get("device", "")),
    )


def format_margin(margin: float, *, digits: int = 2) -> str:
    """``+1.25`` / ``−0.40`` (a true minus sign, so columns of margins line up). A margin too
    small for ``digits`` decimals keeps two significant digits (``+0.00031``), so a positive
    margin never reads as ``+0.00``."""
    size = abs(margin)
    if 0 < size < 0.5 * 10**-digits:
        digits = min(-math.floor(math.log10(size)) + 1, 8)
    text = f"{size:.{digits}f}"
    return f"{MINUS}{text}" if margin < 0 else f"+{text}"


def device_label(device: str) -> str:
    """``CPU`` or ``GPU (cuda:0)`` for a torch device string."""
    if not device:
        return ""
    return "CPU" if device.startswith("cpu") else f"GPU ({device})" if device.startswith("cuda") else device
