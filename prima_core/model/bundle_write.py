"""Write a model bundle: ``tokenizer.safetensors``, ``model.safetensors``, ``manifest.json``.

Both the official-checkpoint converter and our own demo-model training write through here, so
every model the app runs has the same format. A bundle is written into a hidden sibling
folder and renamed into place at the end, so a failed or cancelled write leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import torch

from prima_core.errors import UserError
from prima_core.model.labels import LabelRef
from prima_core.model.prima import PrimaModel
from prima_core.model.safetensors_stream import PendingTensor, pending, write_streaming
from prima_core.model.spec import PRIORITY_HEAD, ModelSpec
from prima_core.progress import ProgressCallback, report

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TOKENIZER_FILE = "tokenizer.safetensors"
MODEL_FILE = "model.safetensors"


class BundleKind(StrEnum):
    OFFICIAL = "official"
    DEMO = "demo"


def file_source(path: Path, *, progress: ProgressCallback | None = None) -> dict[str, Any]:
    """``{file, sha256, size}`` of a source file (read in chunks)."""
    digest = hashlib.sha256()
    size = path.stat().st_size
    done = 0
    with path.open("rb") as f:
        while chunk := f.read(16 << 20):
            digest.update(chunk)
            done += len(chunk)
            report(progress, "checksum", done / max(size, 1), path.name)
    return {"file": path.name, "sha256": digest.hexdigest(), "size": size}


def make_manifest(
    *,
    kind: BundleKind | str,
    name: str,
    description: str,
    spec: ModelSpec,
    tokenizer_config: Mapping[str, Any],
    diagnoses: Sequence[LabelRef],
    referrals: Sequence[LabelRef],
    priority_levels: Sequence[str],
    sources: Sequence[Mapping[str, Any]] = (),
    recommended_explanation: str | None = None,
) -> dict[str, Any]:
    """The manifest dict; ``architecture`` holds every size the modules are built from.

    ``recommended_explanation``: the saliency method the bundle's makers recommend (the viewer's
    default for it; see ``prima_core.model_registry.recommended_method``).
    """
    visual = spec.visual
    manifest = {
        "format_version": FORMAT_VERSION,
        "kind": str(BundleKind(kind)),
        "name": name,
        "description": description,
        "architecture": {
            "tokenizer": dict(tokenizer_config),
            "model": spec.to_dict(),
            "summary": {
                "token_width": visual.token_width,
                "model_width": visual.inner.dim,
                "series_dim": visual.series_dim,
                "embedding_dim": visual.embedding_dim,
                "inner_depth": visual.inner.transformer.depth,
                "outer_depth": visual.outer.transformer.depth,
                "inner_cls": visual.inner.cls_count,
                "outer_cls": visual.outer.cls_count,
                "heads": len(spec.heads),
            },
        },
        "diagnoses": [d.to_dict() for d in diagnoses],
        "referrals": [r.to_dict() for r in referrals],
        "priority_head": PRIORITY_HEAD if priority_levels else None,
        "priority_levels": list(priority_levels),
        "sources": [dict(s) for s in sources],
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if recommended_explanation:
        manifest["recommended_explanation"] = recommended_explanation
    return manifest


def write_bundle(
    out_dir: Path,
    *,
    manifest: Mapping[str, Any],
    tokenizer_tensors: Iterable[PendingTensor],
    model_tensors: Iterable[PendingTensor],
    progress: ProgressCallback | None = None,
) -> Path:
    """Write the three files into ``out_dir`` (which must not hold a bundle yet)."""
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise UserError(f"{out_dir} already exists and is not empty; choose another output folder")
    partial = out_dir.parent / f".{out_dir.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        write_streaming(partial / TOKENIZER_FILE, tokenizer_tensors)
        model_tensors = list(model_tensors)
        write_streaming(
            partial / MODEL_FILE,
            model_tensors,
            metadata={"format": "pt"},
            on_tensor=lambda done, total: report(progress, "write", done / max(total, 1), MODEL_FILE),
        )
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        if out_dir.exists():
            out_dir.rmdir()
        partial.rename(out_dir)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return out_dir


def save_bundle(
    out_dir: Path,
    *,
    model: PrimaModel,
    tokenizer_config: Mapping[str, Any],
    tokenizer_state: Mapping[str, torch.Tensor],
    kind: BundleKind | str,
    name: str,
    description: str,
    sources: Sequence[Mapping[str, Any]] = (),
    recommended_explanation: str | None = None,
) -> Path:
    """Save a model held in memory (e.g. a freshly trained demo model) as a bundle.

    ``tokenizer_state`` is a MONAI ``VQVAE`` state dict (at least its ``encoder.*`` tensors).
    A demo model's ``description`` must say what synthetic data it was trained on.
    """
    if not model.heads.is_resident:
        raise ValueError("save_bundle needs every head in memory")
    manifest = make_manifest(
        kind=kind,
        name=name,
        description=description,
        spec=model.spec,
        tokenizer_config=tokenizer_config,
        diagnoses=list(model.diagnoses.values()),
        referrals=list(model.referrals.values()),
        priority_levels=model.priority_levels,
        sources=sources,
        recommended_explanation=recommended_explanation,
    )
    state = {**model.visual_state(), **model.head_state()}
    return write_bundle(
        out_dir,
        manifest=manifest,
        tokenizer_tensors=[pending(k, v) for k, v in tokenizer_state.items()],
        model_tensors=[pending(k, v) for k, v in state.items()],
    )
