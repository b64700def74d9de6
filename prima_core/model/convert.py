"""Convert the official Prima release files into a model bundle, safely.

Nothing from the input files is ever run: the full model goes through ``safe_unpickle`` (inert
stand-ins, meta tensors, weights read by offset one at a time), the tokenizer state dict through
torch's weights-only loader. Every problem is a ``CheckpointRefused`` with a one-line reason.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import torch

from prima_core.errors import CheckpointRefused, UserError
from prima_core.model.bundle_write import BundleKind, file_source, make_manifest, write_bundle
from prima_core.model.official_heads import read_official
from prima_core.model.prima import PrimaModel
from prima_core.model.safe_unpickle import InertCheckpoint, load_inert
from prima_core.model.safetensors_stream import PendingTensor, pending
from prima_core.model.tokenizer import RELEASED_TOKENIZER_CONFIG, build_vqvae, normalize_tokenizer_config
from prima_core.progress import ProgressCallback, report


def _tokenizer_sources(config_file: Path | None, weights: Path | None) -> tuple[dict[str, Any], Path]:
    """The tokenizer's MONAI config and its weights file, from the release's JSON and/or a .pth."""
    if config_file is None:
        if weights is None:
            raise CheckpointRefused("the tokenizer is needed: give --tokenizer-config or --tokenizer")
        return dict(RELEASED_TOKENIZER_CONFIG), weights
    try:
        raw = json.loads(Path(config_file).read_text(encoding="utf-8"))
        vq = raw["vqvae_config"]
        config = normalize_tokenizer_config(vq)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointRefused(f"{Path(config_file).name} is not a Prima tokenizer config ({exc})") from None
    if weights is None:
        if not vq.get("ckpt_path"):
            raise CheckpointRefused(f"{Path(config_file).name} names no ckpt_path; give --tokenizer")
        weights = Path(vq["ckpt_path"])
        if not weights.is_absolute():
            weights = Path(config_file).resolve().parent / weights
    return config, weights


def _load_tokenizer_state(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise CheckpointRefused(f"tokenizer weights {path} do not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=zipfile.is_zipfile(path))
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise CheckpointRefused(f"refused tokenizer {path.name}: {first}") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointRefused(f"{path.name} is not a tokenizer state dict")
    return {str(k): v for k, v in state.items()}


def check_tokenizer(
    config: dict[str, Any], state: dict[str, torch.Tensor], *, name: str, hint: str = ""
) -> None:
    """Refuse, naming the first mismatching tensor, unless ``state`` fits the VQ-VAE of ``config``."""
    try:
        expected = build_vqvae(config, device="meta").state_dict()
    except Exception as exc:
        raise CheckpointRefused(f"tokenizer config cannot build a VQ-VAE: {exc}") from None
    for key, tensor in expected.items():
        if key not in state:
            raise CheckpointRefused(f"{name} does not match its config: '{key}' is missing")
        if tuple(state[key].shape) != tuple(tensor.shape):
            raise CheckpointRefused(
                f"{name} does not match its config: '{key}' has shape {list(state[key].shape)}, "
                f"the config needs {list(tensor.shape)}{hint}"
            )
    extra = sorted(set(state) - set(expected))
    if extra:
        raise CheckpointRefused(f"{name} does not match its config: unexpected '{extra[0]}'")


def _from_checkpoint(checkpoint: InertCheckpoint, name: str, meta: torch.Tensor) -> PendingTensor:
    return PendingTensor(name, meta.dtype, tuple(meta.shape), lambda: checkpoint.read_tensor(meta))


def convert_official(
    *,
    full_model: Path,
    tokenizer_config: Path | None = None,
    tokenizer: Path | None = None,
    out_dir: Path,
    name: str | None = None,
    progress: ProgressCallback | None = None,
) -> Path:
    """Official ``full_model.pt`` + tokenizer -> bundle folder ``out_dir``; returns it."""
    full_model, out_dir = Path(full_model), Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise UserError(f"{out_dir} already exists and is not empty; choose another output folder")
    config, weights = _tokenizer_sources(tokenizer_config, None if tokenizer is None else Path(tokenizer))
    report(progress, "convert", 0.0, f"reading {full_model.name} (nothing in it is run)")
    checkpoint = load_inert(full_model)
    official = read_official(checkpoint)
    with torch.device("meta"):
        layout = PrimaModel(
            official.spec,
            diagnoses=official.diagnoses,
            referrals=official.referrals,
            priority_levels=official.priority_levels,
        )
    expected = {**layout.visual_state(), **layout.head_state()}
    if set(expected) != set(official.tensors) or any(
        tuple(expected[k].shape) != tuple(official.tensors[k].shape) for k in expected
    ):
        raise CheckpointRefused(f"{full_model.name}: its weights do not fit the architecture they imply")

    report(progress, "convert", 0.1, f"checking tokenizer {weights.name}")
    token_state = _load_tokenizer_state(weights)
    hint = "" if tokenizer_config else " (--tokenizer alone assumes the released architecture)"
    check_tokenizer(config, token_state, name=weights.name, hint=hint)

    files = [full_model, weights] + ([Path(tokenizer_config)] if tokenizer_config else [])
    sources = [file_source(f, progress=progress) for f in files]
    manifest = make_manifest(
        kind=BundleKind.OFFICIAL,
        name=name or Path(out_dir).name,
        description=f"Official Prima weights, converted from {full_model.name} and {weights.name}. "
        "Research use, not for clinical decisions.",
        spec=official.spec,
        tokenizer_config=config,
        diagnoses=official.diagnoses,
        referrals=official.referrals,
        priority_levels=official.priority_levels,
        sources=sources,
    )
    model_tensors = [_from_checkpoint(checkpoint, k, t) for k, t in official.tensors.items()]
    report(progress, "convert", 0.2, "writing the bundle")
    bundle = write_bundle(
        Path(out_dir),
        manifest=manifest,
        tokenizer_tensors=[pending(k, v) for k, v in token_state.items()],
        model_tensors=model_tensors,
        progress=progress,
    )
    report(progress, "convert", 1.0, f"wrote {bundle}")
    return bundle
