"""Load a model bundle (safetensors + JSON only; nothing is unpickled) and run it."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from prima_core.errors import UserError
from prima_core.model.bundle_write import FORMAT_VERSION, MANIFEST, MODEL_FILE, TOKENIZER_FILE, BundleKind
from prima_core.model.labels import LabelRef
from prima_core.model.precision import (
    DeviceChoice,
    Precision,
    autocast,
    model_autocast_dtype,
    resolve_device,
    tokenizer_autocast_dtype,
)
from prima_core.model.prima import HeadValues, PrimaModel
from prima_core.model.safetensors_stream import read_shapes, read_tensors
from prima_core.model.spec import ModelSpec
from prima_core.model.tokenizer import Tokenizer, build_vqvae


class BundleError(UserError):
    """A bundle folder is incomplete or does not match its manifest."""


@dataclass
class ModelOutput:
    """One study's result. Margins are not probabilities: > 0 means positive at the authors'
    operating point. ``priority`` holds raw scores per level."""

    diagnosis: dict[str, float]
    referral: dict[str, float]
    priority: dict[str, float]
    study_embedding: list[float]


class ModelBundle:
    """A loaded bundle: ``tokenizer`` (``encode_latents``), ``model`` (ViTs + heads), manifest."""

    def __init__(
        self,
        *,
        manifest: dict[str, Any],
        tokenizer: Tokenizer,
        model: PrimaModel,
        device: torch.device,
        precision: Precision,
        path: Path,
    ) -> None:
        self.manifest = manifest
        self.path = path
        self.kind = str(manifest.get("kind", BundleKind.OFFICIAL))
        self.name = str(manifest.get("name", path.name))
        self.device = device
        self.precision = precision
        self.tokenizer = tokenizer
        self.model = model
        self.token_width = model.visual.token_width
        self.model_width = model.visual.model_width

    def autocast(self) -> contextlib.AbstractContextManager:
        """Autocast for the ViTs and heads under the chosen precision (no-op for fp32)."""
        return autocast(self.device, model_autocast_dtype(self.device, self.precision))

    def embed_series(self, series_tokens: Sequence[Tensor], series_names: Sequence[str]) -> Tensor:
        """Token vectors (n_i, 289) per series -> series vectors (n_series, E); differentiable."""
        with self.autocast():
            return self.model.embed_series(series_tokens, series_names)

    def study_embedding_from_series_vectors(self, series_vectors: Tensor, study_description: str) -> Tensor:
        with self.autocast():
            return self.model.study_embedding_from_series_vectors(series_vectors, study_description).float()

    def study_embeddings(self, series_vectors: Tensor, study_description: str) -> Tensor:
        """Batched ``study_embedding_from_series_vectors``: (B, S, E) -> (B, C_out*E); differentiable."""
        with self.autocast():
            return self.model.visual.study_embeddings(series_vectors, study_description).float()

    def heads_from_embedding(
        self,
        embedding: Tensor,
        *,
        diagnoses: Iterable[str] | None = None,
        referrals: Iterable[str] | None = None,
        priority: bool = True,
    ) -> HeadValues:
        with self.autocast():
            return self.model.heads_from_embedding(
                embedding, diagnoses=diagnoses, referrals=referrals, priority=priority
            )

    def predict_tokens(
        self, series_tokens: Sequence[Tensor], series_names: Sequence[str], study_description: str
    ) -> ModelOutput:
        """Token vectors of every series of one study -> margins, priority scores, embedding."""
        with torch.inference_mode():
            vectors = self.embed_series(series_tokens, series_names)
            embedding = self.study_embedding_from_series_vectors(vectors, study_description)
            values = self.heads_from_embedding(embedding)
        return ModelOutput(
            diagnosis={k: float(v) for k, v in values.diagnosis.items()},
            referral={k: float(v) for k, v in values.referral.items()},
            priority={k: float(v) for k, v in values.priority.items()},
            study_embedding=embedding.float().cpu().tolist(),
        )


def read_manifest(path: Path) -> dict[str, Any]:
    file = Path(path) / MANIFEST
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BundleError(f"{path} is not a model bundle (no {MANIFEST})") from None
    except (OSError, ValueError) as exc:
        raise BundleError(f"{file} cannot be read: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        raise BundleError(f"{file}: unsupported bundle format {manifest.get('format_version')!r}")
    return manifest


def _check_shapes(file: Path, expected: dict[str, Tensor], *, what: str) -> None:
    if not file.is_file():
        raise BundleError(f"bundle is incomplete: {file.name} is missing")
    try:
        stored = read_shapes(file)
    except Exception as exc:
        raise BundleError(f"{file} is damaged: {exc}") from None
    for name, tensor in expected.items():
        if name not in stored:
            raise BundleError(f"{file.name} lacks '{name}' that the manifest's {what} needs")
        if stored[name][1] != tuple(tensor.shape):
            raise BundleError(
                f"{file.name}: '{name}' has shape {list(stored[name][1])} but the manifest's "
                f"{what} says {list(tensor.shape)}"
            )
    extra = sorted(set(stored) - set(expected))
    if extra:
        raise BundleError(f"{file.name} holds '{extra[0]}', which the manifest's {what} does not have")


def _labels(manifest: dict[str, Any], key: str) -> list[LabelRef]:
    return [LabelRef.from_dict(d) for d in manifest.get(key, [])]


def load_bundle(
    path: Path | str,
    *,
    device: DeviceChoice | str = DeviceChoice.AUTO,
    precision: Precision | str = Precision.FP32,
    head_budget_bytes: int = 1 << 30,
) -> ModelBundle:
    """Load a bundle folder; every tensor shape is checked against the manifest first.

    Heads beyond ``head_budget_bytes`` of weights stay on disk and are read when needed.
    """
    path = Path(path)
    manifest = read_manifest(path)
    try:
        spec = ModelSpec.from_dict(manifest["architecture"]["model"])
        tokenizer_config = dict(manifest["architecture"]["tokenizer"])
        diagnoses, referrals = _labels(manifest, "diagnoses"), _labels(manifest, "referrals")
        levels = [str(x) for x in manifest.get("priority_levels", [])]
        with torch.device("meta"):
            layout = PrimaModel(spec, diagnoses=diagnoses, referrals=referrals, priority_levels=levels)
            vqvae = build_vqvae(tokenizer_config, device="meta")
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleError(f"{path / MANIFEST}: bad architecture ({exc})") from None
    _check_shapes(path / MODEL_FILE, {**layout.visual_state(), **layout.head_state()}, what="architecture")
    _check_shapes(path / TOKENIZER_FILE, vqvae.state_dict(), what="tokenizer config")
    del layout, vqvae

    model_file = path / MODEL_FILE
    head_names = {k for k in read_shapes(model_file) if k.startswith("heads.")}

    def load_head(head_id: str) -> dict[str, Tensor]:
        prefix = f"heads.{head_id}."
        return read_tensors(model_file, [n for n in head_names if n.startswith(prefix)], strip=prefix)

    target = resolve_device(device)
    with torch.device("meta"):
        model = PrimaModel(
            spec,
            diagnoses=diagnoses,
            referrals=referrals,
            priority_levels=levels,
            head_loader=load_head,
            head_budget_bytes=head_budget_bytes,
        )
    visual_names = [k for k in read_shapes(model_file) if k.startswith("visual.")]
    model.visual.load_state_dict(
        read_tensors(model_file, visual_names, strip="visual."), strict=True, assign=True
    )
    model.eval().requires_grad_(False).to(target)

    tokenizer = Tokenizer(tokenizer_config)
    encoder_names = [k for k in read_shapes(path / TOKENIZER_FILE) if k.startswith("encoder.")]
    tokenizer.load_encoder(read_tensors(path / TOKENIZER_FILE, encoder_names))
    tokenizer.to(target)
    dtype = tokenizer_autocast_dtype(target, precision)
    # channels-last gave no measurable gain on CPU (benchmarks/bench_tokenizer_precision.py)
    tokenizer.set_precision(dtype, channels_last=False)
    return ModelBundle(
        manifest=manifest,
        tokenizer=tokenizer,
        model=model,
        device=target,
        precision=Precision(precision),
        path=path,
    )
