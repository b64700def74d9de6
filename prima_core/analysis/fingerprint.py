"""Identities for the results cache: what a study's images are, and which model read them.

A study's fingerprint hashes, per series (in UID order), the SeriesInstanceUID, the voxel
array (dtype, shape, bytes) and the affine: the same images give the same fingerprint wherever
the files lie, and any change to the pixels or their placement gives another. A model's
identity is the SHA-256 of its bundle's ``manifest.json``, which names its weights by hash.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from prima_core.io.study import Study
from prima_core.progress import CancelToken, ProgressCallback, check, report

FINGERPRINT_FORMAT = "prima-study-fingerprint-1"


def study_fingerprint(
    study: Study, *, progress: ProgressCallback | None = None, cancel: CancelToken | None = None
) -> str:
    """SHA-256 over every series' UID, voxels and affine (reads the voxels once; ``Series`` keeps them)."""
    digest = hashlib.sha256(FINGERPRINT_FORMAT.encode())
    ordered = sorted(study.series, key=lambda s: s.series_instance_uid)
    for index, series in enumerate(ordered):
        check(cancel)
        report(progress, "fingerprint", index / max(len(ordered), 1), f"reading {series.model_name}")
        volume = series.load()
        array = np.ascontiguousarray(volume.array)
        digest.update(json.dumps([series.series_instance_uid, str(array.dtype), list(array.shape)]).encode())
        digest.update(np.asarray(volume.affine, dtype=np.float64).tobytes())
        digest.update(hashlib.sha256(array.tobytes()).digest())
    report(progress, "fingerprint", 1.0, "study identified")
    return digest.hexdigest()


def bundle_identity(model_dir: Path) -> str:
    """SHA-256 of the bundle's ``manifest.json`` (it lists the weights' own hashes)."""
    return hashlib.sha256((Path(model_dir) / "manifest.json").read_bytes()).hexdigest()
