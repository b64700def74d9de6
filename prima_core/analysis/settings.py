"""The viewer's remembered analysis choices, in ``<config dir>/analysis.json``.

Only what a reader would expect to find again: the model last used. A missing or damaged file
reads as defaults; writing is atomic.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from prima_core.model_registry import DEMO, ModelEntry

SETTINGS_FILE = "analysis.json"


@dataclass
class AnalysisSettings:
    model: str | None = None  # a model name from list_models(), or a bundle folder

    @classmethod
    def path(cls) -> Path:
        from prima_core.paths import config_dir

        return config_dir() / SETTINGS_FILE

    @classmethod
    def load(cls) -> AnalysisSettings:
        try:
            data = json.loads(cls.path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        model = data.get("model") if isinstance(data, dict) else None
        return cls(model=model if isinstance(model, str) and model else None)

    def save(self) -> None:
        path = self.path()
        handle, partial = tempfile.mkstemp(prefix=".partial-", suffix=".json", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as f:
                json.dump(asdict(self), f, indent=2)
            os.replace(partial, path)
        except OSError:
            Path(partial).unlink(missing_ok=True)


def default_model(remembered: str | None, entries: Sequence[ModelEntry]) -> str | None:
    """The model to offer first: the remembered one if still there, else the demo model, else the
    first imported one, else ``None`` (no model installed)."""
    names = [e.name for e in entries]
    if remembered and (remembered in names or (Path(remembered) / "manifest.json").is_file()):
        return remembered
    if DEMO in names:
        return DEMO
    return names[0] if names else None
