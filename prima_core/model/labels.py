"""Which head output each diagnosis or referral name reads, and its operating point."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class LabelRef:
    """``margin = heads[head](embedding)[column] - threshold``; > 0 is positive at the authors' cut-off."""

    name: str
    head: str
    column: int
    threshold: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabelRef:
        return cls(str(data["name"]), str(data["head"]), int(data["column"]), float(data["threshold"]))
