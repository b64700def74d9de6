"""What a demo-model run depended on: library versions and the phantom generator's sources."""

from __future__ import annotations

import hashlib
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch

import prima_core
from prima_core.resources import resource_path

_PACKAGES = ("torch", "monai-weekly", "monai", "numpy", "scipy", "pydicom", "safetensors")
_GENERATOR_PATTERNS = ("phantom_*.py", "findings*.py", "study*.py", "dicom_export.py")
# what a cached training record holds besides the phantom itself: the study mix and the
# extraction of labels, lesion tokens and statistics
_RECORD_PATTERNS = ("dataset*.py",)


def versions() -> dict[str, str]:
    """Python, platform and the versions of the libraries the recipe uses."""
    found = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "prima_core": prima_core.__version__,
    }
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    found.setdefault("torch", torch.__version__)
    found.setdefault("numpy", np.__version__)
    return found


def generator_fingerprint() -> str:
    """SHA-256 over the phantom generator's source files and template images.

    Two runs with the same fingerprint trained on the same phantoms; a changed generator shows
    up here (and means the committed model was trained on older phantoms).
    """
    files = _demo_sources(_GENERATOR_PATTERNS)
    template_dir = resource_path("demo")
    if template_dir.is_dir():
        files += sorted(template_dir.glob("*.nii.gz"))
    return _digest(hashlib.sha256(), files)


def phantom_cache(work_dir: Path) -> Path:
    """The folder of ``work_dir`` for caches made from this generator's phantoms.

    Study records, tokenizers, tokens, checkpoints and evaluation studies are reused by seed; a
    changed generator (or record extraction) must not pick up phantoms made by an older one, so
    each generator gets its own folder, named by a hash of its sources.
    """
    digest = _digest(hashlib.sha256(generator_fingerprint().encode()), _demo_sources(_RECORD_PATTERNS))
    return Path(work_dir) / f"phantoms-{digest[:16]}"


def _demo_sources(patterns: tuple[str, ...]) -> list[Path]:
    demo = Path(__file__).resolve().parent
    return sorted(f for pattern in patterns for f in demo.glob(pattern))


def _digest(h: Any, files: list[Path]) -> str:
    """``h`` updated with each file's name and bytes, as hex."""
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()
