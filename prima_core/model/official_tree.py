"""Find the Prima model inside an inert official object tree, by structure.

Walks the tree that ``safe_unpickle.load_inert`` returns and produces our ``ModelSpec``, the
label tables and a map from our flat tensor names to the file's (meta) tensors. It relies on
the attribute names of the public training code (``clipvisualmodel``, ``innerViT``,
``diagnosisheads`` ...), not on any path that only the fixture has: ``DataParallel`` wrappers
are looked through anywhere, the top class may come from any module, the series-name encoder
may or may not be wrapped in ``Sequential(encoder, Linear)``, and the GPT-2 text model,
patchifier table and patient-discrimination net are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from prima_core.errors import CheckpointRefused
from prima_core.model.labels import LabelRef
from prima_core.model.safe_unpickle import InertObject
from prima_core.model.spec import ModelSpec, NameEncoderSpec, TransformerSpec, VisualSpec, ViTSpec

PRIORITY_LEVELS = {4: ["none", "low", "medium", "high"], 3: ["none", "low", "high"]}
_WRAPPERS = ("DataParallel", "DistributedDataParallel")


@dataclass
class OfficialModel:
    spec: ModelSpec
    diagnoses: list[LabelRef]
    referrals: list[LabelRef]
    priority_levels: list[str]
    tensors: dict[str, torch.Tensor] = field(default_factory=dict)


def unwrap(obj: Any) -> Any:
    """Look through ``DataParallel(module=...)`` wrappers."""
    while isinstance(obj, InertObject) and obj.kind in _WRAPPERS and obj.member("module") is not None:
        obj = obj.member("module")
    return obj


def _module(obj: Any, name: str, *, where: str, kinds: tuple[str, ...] = ()) -> InertObject:
    child = unwrap(obj.member(name)) if isinstance(obj, InertObject) else None
    if not isinstance(child, InertObject) or (kinds and child.kind not in kinds):
        expected = f" ({' or '.join(kinds)})" if kinds else ""
        raise CheckpointRefused(f"not a Prima model: {where} has no '{name}'{expected}")
    return child


def _tensor(obj: InertObject, name: str, *, where: str) -> torch.Tensor:
    value = obj.member(name)
    if not isinstance(value, torch.Tensor):
        raise CheckpointRefused(f"not a Prima model: {where} has no tensor '{name}'")
    if value.dtype not in (torch.float32, torch.float16, torch.bfloat16):
        raise CheckpointRefused(f"{where}.{name} has unsupported type {value.dtype}")
    return value


def _children(obj: InertObject) -> list[InertObject]:
    return [unwrap(c) for c in obj.submodules().values() if c is not None]


def _linear(obj: InertObject, prefix: str, out: dict[str, torch.Tensor], *, where: str) -> tuple[int, int]:
    obj = unwrap(obj)
    if obj.kind == "Sequential":
        linears = [c for c in _children(obj) if c.kind == "Linear"]
        if len(linears) != 1:
            raise CheckpointRefused(f"not a Prima model: {where} should hold one Linear layer")
        obj = linears[0]
    if obj.kind != "Linear":
        raise CheckpointRefused(f"not a Prima model: {where} is a {obj.kind}, not a Linear layer")
    weight = _tensor(obj, "weight", where=where)
    out[f"{prefix}.weight"] = weight
    bias = obj.member("bias")
    if isinstance(bias, torch.Tensor):
        out[f"{prefix}.bias"] = bias
    return int(weight.shape[1]), int(weight.shape[0])


def _layer_norm(obj: InertObject, prefix: str, out: dict[str, torch.Tensor], *, where: str) -> float:
    if obj.kind != "LayerNorm":
        raise CheckpointRefused(f"not a Prima model: {where} is a {obj.kind}, not a LayerNorm")
    out[f"{prefix}.weight"] = _tensor(obj, "weight", where=where)
    out[f"{prefix}.bias"] = _tensor(obj, "bias", where=where)
    return float(obj.member("eps") or 1e-5)


def _attention(obj: InertObject, prefix: str, out: dict[str, torch.Tensor], where: str) -> dict[str, Any]:
    qkv = _module(obj, "to_qkv", where=where, kinds=("Linear",))
    dim, three_inner = _linear(qkv, f"{prefix}.qkv", out, where=f"{where}.to_qkv")
    if f"{prefix}.qkv.bias" in out:
        raise CheckpointRefused(f"not a Prima model: {where}.to_qkv has a bias")
    heads, dim_head = obj.member("heads"), obj.member("dim_head")
    if not isinstance(heads, int) or not isinstance(dim_head, int) or 3 * heads * dim_head != three_inner:
        raise CheckpointRefused(
            f"{where}: cannot tell its attention heads (heads={heads}, dim_head={dim_head})"
        )
    scale = obj.member("scale")
    if isinstance(scale, float) and abs(scale - dim_head**-0.5) > 1e-6:
        raise CheckpointRefused(f"{where}: unsupported attention scale {scale}")
    to_out = unwrap(obj.member("to_out"))
    project_out = isinstance(to_out, InertObject) and to_out.kind != "Identity"
    if project_out:
        _linear(to_out, f"{prefix}.out", out, where=f"{where}.to_out")
    return {"dim": dim, "heads": heads, "dim_head": dim_head, "project_out": project_out}


def _feed_forward(obj: InertObject, prefix: str, out: dict[str, torch.Tensor], where: str) -> dict[str, Any]:
    net = _module(obj, "net", where=where, kinds=("Sequential",))
    children = _children(net)
    linears = [c for c in children if c.kind == "Linear"]
    gelus = [c for c in children if c.kind == "GELU"]
    if len(linears) != 2 or len(gelus) != 1:
        raise CheckpointRefused(f"not a Prima model: {where} is not Linear-GELU-Linear")
    _, mlp_dim = _linear(linears[0], f"{prefix}.0", out, where=f"{where}.net")
    _linear(linears[1], f"{prefix}.2", out, where=f"{where}.net")
    return {"mlp_dim": mlp_dim, "gelu_approximate": str(gelus[0].member("approximate") or "none")}


def transformer(obj: InertObject, prefix: str, out: dict[str, torch.Tensor], where: str) -> TransformerSpec:
    """A ``model_parts.Transformer``: ``layers[i] = [PreNorm(Attention), PreNorm(FeedForward)]``."""
    layers = _children(_module(obj, "layers", where=where))
    if not layers:
        raise CheckpointRefused(f"not a Prima model: {where} has no layers")
    specs = set()
    for i, layer in enumerate(layers):
        pair = _children(layer)
        here, p = f"{where}.layers[{i}]", f"{prefix}.layers.{i}"
        if len(pair) != 2:
            raise CheckpointRefused(f"not a Prima model: {here} is not [attention, feed-forward]")
        eps = _layer_norm(_module(pair[0], "norm", where=here), f"{p}.attn_norm", out, where=here)
        attn = _attention(_module(pair[0], "fn", where=here), f"{p}.attn", out, here)
        _layer_norm(_module(pair[1], "norm", where=here), f"{p}.ff_norm", out, where=here)
        ff = _feed_forward(_module(pair[1], "fn", where=here), f"{p}.ff", out, here)
        specs.add(TransformerSpec(depth=len(layers), eps=eps, **attn, **ff))
    if len(specs) != 1:
        raise CheckpointRefused(f"{where}: its layers have different sizes")
    return specs.pop()


def vit(obj: InertObject, prefix: str, out: dict[str, torch.Tensor], where: str) -> tuple[ViTSpec, Any]:
    """A ``model_parts.ViT``; returns its spec and its (unused here) ``mlp_head`` object."""
    if obj.member("pool") not in (None, "cls") or obj.member("pos_embedding") is not None:
        raise CheckpointRefused(f"{where}: only cls pooling without position embedding is supported")
    cls = _tensor(obj, "cls_token", where=where)
    out[f"{prefix}.cls_token"] = cls
    spec = transformer(_module(obj, "transformer", where=where), f"{prefix}.transformer", out, where)
    _layer_norm(_module(obj, "layernorm", where=where), f"{prefix}.norm", out, where=f"{where}.layernorm")
    if cls.ndim != 3 or cls.shape[2] != spec.dim:
        raise CheckpointRefused(f"{where}.cls_token has shape {list(cls.shape)}, width {spec.dim} expected")
    return ViTSpec(transformer=spec, cls_count=int(cls.shape[1])), obj.member("mlp_head")


def name_encoder(obj: Any, prefix: str, out: dict[str, torch.Tensor], where: str) -> NameEncoderSpec:
    """``SerieTransformerEncoder`` (own ``linear``) or ``Sequential(encoder, Linear)``."""
    obj = unwrap(obj)
    if not isinstance(obj, InertObject):
        raise CheckpointRefused(f"not a Prima model: {where} is missing")
    if obj.kind == "Sequential":
        parts = _children(obj)
        if len(parts) != 2 or not parts[0].member("prelinear"):
            raise CheckpointRefused(f"{where}: expected Sequential(encoder, Linear)")
        encoder, proj = parts
    else:
        encoder, proj = obj, obj.member("linear")
        if obj.member("prelinear"):
            raise CheckpointRefused(f"{where}: the encoder skips its own linear map with nothing after it")
    if encoder.kind == "SerieEncoder":
        raise CheckpointRefused(f"{where}: the LSTM series-name encoder is not supported")
    embed = _tensor(_module(encoder, "embed", where=where, kinds=("Embedding",)), "weight", where=where)
    out[f"{prefix}.embed.weight"] = embed
    spec = transformer(_module(encoder, "transformer", where=where), f"{prefix}.transformer", out, where)
    _, out_dim = _linear(proj, f"{prefix}.proj", out, where=f"{where} linear map")
    table = encoder.member("p_enc")
    max_chars = int(table.shape[0]) if isinstance(table, torch.Tensor) else 200
    return NameEncoderSpec(
        transformer=spec,
        out_dim=out_dim,
        vocab=int(embed.shape[0]),
        embed_dim=int(embed.shape[1]),
        max_chars=max_chars,
    )


def visual_model(hier: InertObject, out: dict[str, torch.Tensor]) -> VisualSpec:
    """A ``model_parts.HierViT`` -> spec, filling ``out`` with ``visual.*`` tensors."""
    inner, inner_head = vit(_module(hier, "innerViT", where="HierViT"), "visual.inner", out, "innerViT")
    outer, _ = vit(_module(hier, "outerViT", where="HierViT"), "visual.outer", out, "outerViT")
    if not isinstance(inner_head, InertObject):
        raise CheckpointRefused("not a Prima model: innerViT has no mlp_head")
    fan_in, series_dim = _linear(inner_head, "visual.series_head", out, where="innerViT.mlp_head")
    if fan_in != inner.cls_count * inner.dim or series_dim != outer.dim:
        raise CheckpointRefused("innerViT.mlp_head does not connect the two ViTs")
    names = study = None
    if hier.member("useseriename"):
        names = name_encoder(hier.member("serieencoder"), "visual.series_names", out, "serieencoder")
    if hier.member("usestudydescription"):
        study = name_encoder(hier.member("studyencoder"), "visual.study_description", out, "studyencoder")
    return VisualSpec(
        inner=inner, outer=outer, series_dim=series_dim, series_names=names, study_description=study
    )
