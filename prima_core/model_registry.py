"""Which model bundles this installation knows, and how a user names one.

A bundle is a folder holding ``manifest.json`` and safetensors weights (see ``prima_core.model``).
Three places supply them: the built-in demo bundle under ``resources/demo_model``, bundles the
user imported (converted from official Prima files) under ``paths.models_dir()``, and any folder
named on the command line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from prima_core.errors import UserError
from prima_core.paths import models_dir
from prima_core.resources import resources_dir

DEMO = "demo"


@dataclass(frozen=True)
class ModelEntry:
    name: str
    path: Path
    kind: str  # "official" or "demo"
    description: str


def demo_bundle_dir() -> Path:
    return resources_dir() / "demo_model"


def _entry(name: str, path: Path) -> ModelEntry | None:
    manifest = path / "manifest.json"
    if not manifest.is_file():
        return None
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return ModelEntry(name, path, str(data.get("kind", "official")), str(data.get("description", "")))


def recommended_method(bundle_dir: Path) -> str | None:
    """The explanation method the bundle's makers recommend for it (``manifest.json``), if any.

    The demo recipe records the method whose top regions land on the phantoms' lesions in
    ``prima demo-eval`` (see ``DemoTrainConfig.recommended_explanation``); converted official
    bundles carry none, and the viewer then uses its fast default.
    """
    try:
        data = json.loads((Path(bundle_dir) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get("recommended_explanation") if isinstance(data, dict) else None
    return str(value) if isinstance(value, str) and value else None


def list_models() -> list[ModelEntry]:
    """The demo model (when installed) first, then imported bundles by name."""
    entries = []
    demo = _entry(DEMO, demo_bundle_dir())
    if demo is not None:
        entries.append(demo)
    for folder in sorted(p for p in models_dir().iterdir() if p.is_dir()):
        entry = _entry(folder.name, folder)
        if entry is not None:
            entries.append(entry)
    return entries


def resolve_model(spec: str) -> Path:
    """Turn ``demo``, an imported bundle's name, or a bundle folder path into a bundle folder."""
    if spec == DEMO:
        path = demo_bundle_dir()
        if not (path / "manifest.json").is_file():
            raise UserError(f"the built-in demo model is missing from this installation ({path})")
        return path
    candidate = Path(spec).expanduser()
    if candidate.is_dir():
        if not (candidate / "manifest.json").is_file():
            raise UserError(
                f"{candidate} is not a model bundle (no manifest.json); "
                "convert official Prima files first with 'prima convert'"
            )
        return candidate
    named = models_dir() / spec
    if (named / "manifest.json").is_file():
        return named
    known = ", ".join(e.name for e in list_models()) or "none"
    if len(candidate.parts) > 1:  # meant as a folder, not an imported model's name
        raise UserError(f"no model bundle at {candidate} (the folder does not exist); known models: {known}")
    raise UserError(f"unknown model {spec!r}; known models: {known}")
