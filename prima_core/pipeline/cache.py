"""A per-series token cache, so that analysing a study again skips the tokenizer.

Key: a SHA-256 over the source voxels (bytes, dtype, shape), the source affine, the tokenizer's
weights hash (from the bundle manifest), the autocast dtype the encoder ran under, and a format
version. Any change to one of these gives a new key, never a stale hit.

Value: one safetensors file (no pickle) holding the kept patch numbers, the latents of the
distinct kept patches, and the selection facts (percentage used, tries). The folder is
``<cache dir>/tokens`` where the cache dir is ``PRIMA_VIEWER_CACHE_DIR`` or the per-user cache
(``prima_core.paths.cache_dir``); a ``root`` argument overrides both (tests).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from prima_core.io.volume import Volume
from prima_core.pipeline.selection import Selection
from prima_core.pipeline.tokenize import EncodedSelection

CACHE_FORMAT = "prima-tokens-1"


def series_key(volume: Volume, *, tokenizer_sha256: str, autocast: str) -> str:
    """The cache key of one series under one tokenizer and numeric mode."""
    h = hashlib.sha256()
    array = np.ascontiguousarray(volume.array)
    h.update(
        json.dumps([CACHE_FORMAT, str(array.dtype), list(array.shape), tokenizer_sha256, autocast]).encode()
    )
    h.update(np.asarray(volume.affine, dtype=np.float64).tobytes())
    h.update(array.tobytes())
    return h.hexdigest()


class TokenCache:
    """Cached kept latents per series, stored as safetensors files."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        if root is None:
            from prima_core.paths import cache_dir

            root = cache_dir() / "tokens"
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.safetensors"

    def get(self, key: str) -> EncodedSelection | None:
        """The stored selection and latents, or ``None`` when absent or unreadable."""
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            with safe_open(str(path), framework="pt") as f:
                meta = f.metadata() or {}
                tensors = {name: f.get_tensor(name) for name in ("kept", "unique_latents")}
            if meta.get("format") != CACHE_FORMAT:
                return None
            calls = json.loads(meta["filter_calls"])
            selection = Selection(
                kept=tensors["kept"].numpy().astype(np.int64),
                percent=int(meta["percent"]),
                filter_calls=[(int(p), int(n)) for p, n in calls],
                tokens_total=int(meta["tokens_total"]),
            )
            return EncodedSelection(selection=selection, unique_latents=tensors["unique_latents"])
        except (OSError, KeyError, ValueError, RuntimeError, TypeError, SafetensorError):
            return None  # a damaged entry is recomputed, then overwritten

    def put(self, key: str, encoded: EncodedSelection) -> None:
        """Store an entry atomically (write to a temporary file, then rename)."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        sel = encoded.selection
        tensors = {
            "kept": torch.as_tensor(np.asarray(sel.kept, dtype=np.int64)),
            "unique_latents": encoded.unique_latents.contiguous(),
        }
        meta = {
            "format": CACHE_FORMAT,
            "percent": str(sel.percent),
            "tokens_total": str(sel.tokens_total),
            "filter_calls": json.dumps([list(c) for c in sel.filter_calls]),
        }
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        os.close(fd)
        try:
            save_file(tensors, tmp, metadata=meta)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
