"""Prima results per (study, model) on disk, so that opening a study again shows its result at once.

Each entry is one JSON file, ``<cache dir>/results/<key[:2]>/<key>.json``, holding the
Prediction JSON (``Prediction.to_dict()``) and what it was computed from. The key is a SHA-256
of the study fingerprint and the model identity (see :mod:`.fingerprint`). Entries are written
atomically (temporary file, then rename); a damaged entry reads as absent.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

CACHE_FORMAT = "prima-results-1"


def results_key(study_fingerprint: str, model_identity: str) -> str:
    return hashlib.sha256(f"{CACHE_FORMAT}:{study_fingerprint}:{model_identity}".encode()).hexdigest()


class ResultsCache:
    """Prediction JSON by (study fingerprint, model identity)."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        if root is None:
            from prima_core.paths import cache_dir

            root = cache_dir() / "results"
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, study_fingerprint: str, model_identity: str) -> dict[str, Any] | None:
        """The stored Prediction JSON, or ``None`` when absent or unreadable."""
        path = self._path(results_key(study_fingerprint, model_identity))
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT:
            return None
        result = entry.get("result")
        return result if isinstance(result, dict) and "diagnosis" in result else None

    def put(self, study_fingerprint: str, model_identity: str, result: dict[str, Any]) -> Path:
        """Store one Prediction JSON; returns the entry's path."""
        path = self._path(results_key(study_fingerprint, model_identity))
        path.parent.mkdir(parents=True, exist_ok=True)
        entry = {
            "format": CACHE_FORMAT,
            "study_fingerprint": study_fingerprint,
            "model_identity": model_identity,
            "result": result,
        }
        handle, partial = tempfile.mkstemp(prefix=".partial-", suffix=".json", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as f:
                json.dump(entry, f)
            os.replace(partial, path)
        except OSError:
            Path(partial).unlink(missing_ok=True)
            raise
        return path
