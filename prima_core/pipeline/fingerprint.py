"""A stable identity for a bundle's tokenizer weights, for the token cache key.

Preferred: a ``tokenizer_sha256`` written in the bundle manifest. Otherwise the SHA-256 of the
bundle's ``tokenizer.safetensors`` file, computed once per file version (path, size, mtime) and
remembered for the process.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

TOKENIZER_FILE = "tokenizer.safetensors"


@cache
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(16 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    stat = path.stat()
    return _file_sha256(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


def tokenizer_fingerprint(bundle: Any) -> str:
    """The tokenizer weights' SHA-256 (manifest field, else hashed from the bundle file)."""
    manifest = getattr(bundle, "manifest", {}) or {}
    if manifest.get("tokenizer_sha256"):
        return str(manifest["tokenizer_sha256"])
    path = getattr(bundle, "path", None)
    if path is not None and (Path(path) / TOKENIZER_FILE).is_file():
        return file_sha256(Path(path) / TOKENIZER_FILE)
    raise ValueError("cannot identify the tokenizer weights for the token cache")
