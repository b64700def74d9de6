"""Architecture description of a Prima model: every size the modules are built from.

A spec is read from an official checkpoint's weights (``official_tree``) or written by the
demo-model trainer, stored in a bundle's ``manifest.json`` under ``architecture``, and turned
back into modules by ``PrimaModel.from_spec``. Nothing here is hard-coded to the released sizes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

TOKEN_WIDTH = 289  # 256 latent values + 30 position code + 3 orientation one-hot
PRIORITY_HEAD = "priority"


@dataclass(frozen=True)
class TransformerSpec:
    """A pre-norm transformer: ``depth`` blocks of attention then feed-forward."""

    dim: int
    depth: int
    heads: int
    dim_head: int
    mlp_dim: int
    project_out: bool = True  # False only when heads == 1 and dim_head == dim
    eps: float = 1e-5
    gelu_approximate: str = "none"


@dataclass(frozen=True)
class ViTSpec:
    """A transformer whose ``cls_count`` leading learned tokens are read out."""

    transformer: TransformerSpec
    cls_count: int

    @property
    def dim(self) -> int:
        return self.transformer.dim


@dataclass(frozen=True)
class NameEncoderSpec:
    """Character-level encoder of a series name or study description."""

    transformer: TransformerSpec
    out_dim: int
    vocab: int = 47
    embed_dim: int = 246
    max_chars: int = 200  # characters including the end token

    @property
    def position_channels(self) -> int:
        return self.transformer.dim - self.embed_dim


@dataclass(frozen=True)
class VisualSpec:
    """The hierarchical ViT: a sequence ViT per series, a study ViT over the series vectors."""

    inner: ViTSpec
    outer: ViTSpec
    series_dim: int  # E: width of one series vector (= outer dim)
    series_names: NameEncoderSpec | None = None
    study_description: NameEncoderSpec | None = None
    token_width: int = TOKEN_WIDTH

    @property
    def embedding_dim(self) -> int:
        return self.outer.cls_count * self.outer.dim


@dataclass(frozen=True)
class ModelSpec:
    """Visual model plus every head: ``heads`` maps a head id to its layer widths.

    Each head is ``Linear, ReLU, Linear, ..., Linear`` with widths ``[in, hidden..., out]``;
    the priority head is one of them (id ``PRIORITY_HEAD``).
    """

    visual: VisualSpec
    heads: dict[str, list[int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSpec:
        visual = data["visual"]
        return cls(
            visual=VisualSpec(
                inner=_vit(visual["inner"]),
                outer=_vit(visual["outer"]),
                series_dim=int(visual["series_dim"]),
                series_names=_names(visual.get("series_names")),
                study_description=_names(visual.get("study_description")),
                token_width=int(visual.get("token_width", TOKEN_WIDTH)),
            ),
            heads={str(k): [int(d) for d in v] for k, v in data.get("heads", {}).items()},
        )


def _transformer(data: dict[str, Any]) -> TransformerSpec:
    return TransformerSpec(**data)


def _vit(data: dict[str, Any]) -> ViTSpec:
    return ViTSpec(transformer=_transformer(data["transformer"]), cls_count=int(data["cls_count"]))


def _names(data: dict[str, Any] | None) -> NameEncoderSpec | None:
    if data is None:
        return None
    rest = {k: v for k, v in data.items() if k != "transformer"}
    return NameEncoderSpec(transformer=_transformer(data["transformer"]), **rest)
