"""Display names, groups and descriptions of the Prima labels, from ``resources/catalogue.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from prima_core.resources import resource_path


@dataclass(frozen=True)
class LabelInfo:
    name: str
    display_name: str
    group: str
    description: str


def _humanize(name: str) -> str:
    return name.replace("_", " ").strip().capitalize()


@lru_cache(maxsize=1)
def _catalogue() -> dict:
    path: Path = resource_path("catalogue.json")
    return json.loads(path.read_text(encoding="utf-8"))


def diagnosis_info(name: str) -> LabelInfo:
    """What to show for a diagnosis name; unknown names (a future model) get a readable fallback."""
    entry = _catalogue()["diagnoses"].get(name)
    if entry is None:
        prefix = name.split("_")[0]
        group = _catalogue()["groups"].get(prefix, "Other")
        return LabelInfo(name, _humanize(name), group, "")
    return LabelInfo(name, entry["display_name"], entry["group"], entry["description"])


def referral_info(name: str) -> LabelInfo:
    entry = _catalogue()["referrals"].get(name)
    if entry is None:
        return LabelInfo(name, _humanize(name), "Referral", "")
    return LabelInfo(name, entry["display_name"], "Referral", entry["description"])


def priority_display_name(level: str) -> str:
    return _catalogue()["priority_levels"].get(level, _humanize(level))


def known_diagnoses() -> list[str]:
    return list(_catalogue()["diagnoses"])
