"""What an explanation explains: one diagnosis margin, one referral margin or one priority score."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from torch import Tensor

from prima_core.errors import UserError


class TargetKind(StrEnum):
    DIAGNOSIS = "diagnosis"
    REFERRAL = "referral"
    PRIORITY = "priority"


@dataclass(frozen=True)
class Target:
    """A model output to explain. Diagnosis and referral values are margins (> 0 is positive at
    the authors' operating point, not a probability); a priority value is the head's raw score
    for that level."""

    kind: TargetKind
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"

    def to_dict(self) -> dict[str, str]:
        return {"kind": str(self.kind), "name": self.name}

    def value(self, bundle: Any, embeddings: Tensor) -> Tensor:
        """The target's value for each study embedding, shape (...,) for embeddings (..., C*E)."""
        if self.kind is TargetKind.DIAGNOSIS:
            heads = bundle.heads_from_embedding(
                embeddings, diagnoses=[self.name], referrals=[], priority=False
            )
            return heads.diagnosis[self.name]
        if self.kind is TargetKind.REFERRAL:
            heads = bundle.heads_from_embedding(
                embeddings, diagnoses=[], referrals=[self.name], priority=False
            )
            return heads.referral[self.name]
        heads = bundle.heads_from_embedding(embeddings, diagnoses=[], referrals=[], priority=True)
        return heads.priority[self.name]


def valid_names(bundle: Any) -> dict[TargetKind, list[str]]:
    """Every name a target may take for this bundle, by kind."""
    model = bundle.model
    return {
        TargetKind.DIAGNOSIS: list(model.diagnoses),
        TargetKind.REFERRAL: list(model.referrals),
        TargetKind.PRIORITY: list(model.priority_levels),
    }


def resolve_target(bundle: Any, spec: str | Target) -> Target:
    """A ``Target`` from a name: ``NAME`` (diagnosis, then referral, then priority level) or
    ``KIND:NAME`` (e.g. ``priority:high``). An unknown name is a one-line ``UserError`` listing
    the valid ones."""
    names = valid_names(bundle)
    if isinstance(spec, Target):
        if spec.name in names[spec.kind]:
            return spec
        raise UserError(_unknown(f"{spec.kind} {spec.name!r}", names))
    text = spec.strip()
    kind_text, _, name = text.partition(":")
    if name and kind_text in {k.value for k in TargetKind}:
        kind = TargetKind(kind_text)
        if name in names[kind]:
            return Target(kind, name)
        raise UserError(_unknown(f"{kind} {name!r}", names))
    for kind in TargetKind:
        if text in names[kind]:
            return Target(kind, text)
    raise UserError(_unknown(repr(text), names))


def _unknown(what: str, names: dict[TargetKind, list[str]]) -> str:
    parts = [f"{kind}: {', '.join(values) or '(none)'}" for kind, values in names.items()]
    return f"unknown target {what}; valid names are {'; '.join(parts)}"
