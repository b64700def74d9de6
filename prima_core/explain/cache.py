"""Explanations cached per (study, model, target, method, parameters).

In memory: an LRU dict of ``Explanation`` objects (a hit returns the very same object). On
disk (optional): ``<cache dir>/explanations/<key[:2]>/<key>/`` holding ``explanation.json`` and
``scores.npz`` (no pickle); heat maps are rendered again from the scores on load.

The study part of the key hashes what the model read and where it lies: series names, token
vectors, kept coordinates and the series geometry, and the study description. The model part
hashes the bundle's manifest and, when the manifest does not name its source files by SHA-256,
the weights file. Weights changed in memory after loading are not seen by the key.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from prima_core.explain.explanation import Explanation, load_saved
from prima_core.pipeline.fingerprint import file_sha256

KEY_FORMAT = "prima-explain-key-1"
MODEL_FILE = "model.safetensors"


def study_fingerprint(prediction: Any) -> str:
    h = hashlib.sha256(json.dumps([prediction.study_description, prediction.series_names()]).encode())
    for series in prediction.series:
        prepared = series.prepared
        h.update(np.ascontiguousarray(series.tokens.vectors.detach().cpu().float().numpy()).tobytes())
        h.update(np.asarray(series.kept_coords, dtype=np.int64).tobytes())
        h.update(np.asarray(prepared.source_affine, dtype=np.float64).tobytes())
        h.update(np.asarray(prepared.padded_affine, dtype=np.float64).tobytes())
        h.update(json.dumps([list(prepared.source_shape_ijk), list(prepared.grid.padded_shape)]).encode())
    return h.hexdigest()


def model_identity(bundle: Any) -> str:
    manifest = getattr(bundle, "manifest", {}) or {}
    h = hashlib.sha256(json.dumps(manifest, sort_keys=True, default=str).encode())
    sources = manifest.get("sources") or []
    named = bool(sources) and all(s.get("sha256") for s in sources)
    path = getattr(bundle, "path", None)
    if not named and path is not None and (Path(path) / MODEL_FILE).is_file():
        h.update(file_sha256(Path(path) / MODEL_FILE).encode())
    return h.hexdigest()


def explanation_key(
    prediction: Any, bundle: Any, *, target: str, method: str, params: Mapping[str, Any]
) -> str:
    payload = [
        KEY_FORMAT,
        study_fingerprint(prediction),
        model_identity(bundle),
        target,
        method,
        dict(params),
    ]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


class ExplanationCache:
    """LRU of explanations in memory, optionally backed by a folder (``disk=True``: the per-user
    cache, or a path)."""

    def __init__(self, *, capacity: int = 32, disk: bool | Path | str = False) -> None:
        self.capacity = capacity
        self._memory: OrderedDict[str, Explanation] = OrderedDict()
        if disk is True:
            from prima_core.paths import cache_dir

            self.root: Path | None = cache_dir() / "explanations"
        else:
            self.root = Path(disk) if disk else None

    def __len__(self) -> int:
        return len(self._memory)

    def _folder(self, key: str) -> Path:
        assert self.root is not None
        return self.root / key[:2] / key

    def get(self, key: str, prediction: Any) -> Explanation | None:
        """The cached explanation, from memory or else from disk; ``None`` when absent/unreadable."""
        found = self._memory.get(key)
        if found is not None:
            self._memory.move_to_end(key)
            return found
        if self.root is None or not (self._folder(key) / "explanation.json").is_file():
            return None
        try:
            found = load_saved(self._folder(key), prediction)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        self._remember(key, found)
        return found

    def put(self, key: str, explanation: Explanation) -> None:
        self._remember(key, explanation)
        if self.root is None:
            return
        folder = self._folder(key)
        folder.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=folder.parent))
        try:
            explanation.save(partial)
            shutil.rmtree(folder, ignore_errors=True)
            partial.rename(folder)
        except OSError:
            shutil.rmtree(partial, ignore_errors=True)

    def _remember(self, key: str, explanation: Explanation) -> None:
        self._memory[key] = explanation
        self._memory.move_to_end(key)
        while len(self._memory) > self.capacity:
            self._memory.popitem(last=False)
