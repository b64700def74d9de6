"""Test-only stand-ins for the classes the official Prima pickle names, to build variant files.

We cannot unpickle the real release classes (that is the point of the safe loader), so tests
build their own: real ``nn.Module`` classes registered as ``model_parts.HierViT`` etc. in
``sys.modules`` with the attribute layout of the public training code, composed into variants
of the release (DataParallel in other places, ``__main__.FullMRIModel``, width 289, 3-level
priority, no text model ...), saved with ``torch.save``. Their ``reference_outputs`` compute the
released model's maths directly and slowly (one sequence at a time, explicit softmax), as an
independent check of our batched implementation.
"""

from __future__ import annotations

import contextlib
import math
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

ALPHABET = "abcdefghijklmnopqrstuvwxyz_+-0123456789.*(),"


def char_codes(text: str) -> list[int]:
    return [ALPHABET.index(c) + 1 if c in ALPHABET else 45 for c in text.lower()] + [46]


def position_table(rows: int, channels: int) -> torch.Tensor:
    out = torch.zeros(rows, channels, dtype=torch.float64)
    for p in range(rows):
        for k in range(channels // 2):
            f = 1.0 / 10000 ** (2 * k / channels)
            out[p, 2 * k], out[p, 2 * k + 1] = math.sin(p * f), math.cos(p * f)
    return out.float()


class PreNorm(nn.Module):
    def __init__(self, dim: int, fn: nn.Module) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fn = fn


class FeedForward(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(0.0), nn.Linear(hidden, dim), nn.Dropout(0.0)
        )


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int, dim_head: int) -> None:
        super().__init__()
        inner = heads * dim_head
        self.inner_dim, self.heads, self.dim_head, self.scale = inner, heads, dim_head, dim_head**-0.5
        self.attend, self.dropout, self.dropoutp, self.causal = (
            nn.Softmax(dim=-1),
            nn.Dropout(0.0),
            0.0,
            False,
        )
        self.to_qkv = nn.Linear(dim, inner * 3, bias=False)
        project = not (heads == 1 and dim_head == dim)
        self.to_out = nn.Sequential(nn.Linear(inner, dim), nn.Dropout(0.0)) if project else nn.Identity()

    def single(self, x: torch.Tensor) -> torch.Tensor:
        qkv = self.to_qkv(x).view(x.shape[0], 3, self.heads, self.dim_head)
        outs = []
        for h in range(self.heads):
            q, k, v = qkv[:, 0, h], qkv[:, 1, h], qkv[:, 2, h]
            outs.append(torch.softmax(q @ k.T * self.scale, dim=-1) @ v)
        return self.to_out(torch.cat(outs, dim=-1))


class Transformer(nn.Module):
    def __init__(self, dim: int, depth: int, heads: int, dim_head: int, mlp_dim: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            nn.ModuleList(
                [PreNorm(dim, Attention(dim, heads, dim_head)), PreNorm(dim, FeedForward(dim, mlp_dim))]
            )
            for _ in range(depth)
        )

    def single(self, x: torch.Tensor) -> torch.Tensor:
        for attn, ff in self.layers:
            x = attn.fn.single(attn.norm(x)) + x
            x = ff.fn.net(ff.norm(x)) + x
        return x


class ViT(nn.Module):
    def __init__(
        self, dim: int, num_classes: int, depth: int, heads: int, mlp_dim: int, dim_head: int, clsnum: int
    ):
        super().__init__()
        self.dim, self.pos_embedding, self.clsnum, self.pool = dim, None, clsnum, "cls"
        self.cls_token = nn.Parameter(torch.randn(1, clsnum, dim))
        self.dropout = nn.Dropout(0.0)
        self.transformer = Transformer(dim, depth, heads, dim_head, mlp_dim)
        self.to_latent = nn.Identity()
        self.layernorm = nn.LayerNorm(dim)
        self.mlp_head = nn.Sequential(nn.Linear(clsnum * dim, num_classes))

    def pooled(self, seq: torch.Tensor) -> torch.Tensor:
        x = self.transformer.single(torch.cat([self.cls_token[0], seq], dim=0))
        return self.layernorm(x[: self.clsnum]).reshape(-1)


class SerieTransformerEncoder(nn.Module):
    def __init__(self, out_dim: int) -> None:
        super().__init__()
        self.embsize = 256
        self.embed = nn.Embedding(47, 246)
        self.transformer = Transformer(256, 3, 4, 64, 300)
        self.linear = nn.Linear(256, out_dim)
        self.p_enc = position_table(200, 10)
        self.prelinear = False

    def encode(self, text: str) -> torch.Tensor:
        codes = torch.tensor(char_codes(text))
        x = torch.cat([self.embed(codes), self.p_enc[: len(codes)]], dim=1)
        last = self.transformer.single(x)[-1]
        return last if self.prelinear else self.linear(last)


class HierViT(nn.Module):
    def __init__(self, inner: dict, outer: dict, *, wrap_series_encoder: bool) -> None:
        super().__init__()
        self.innerViT, self.outerViT = ViT(**inner), ViT(**outer)
        self.dummy_param = nn.Parameter(torch.empty(0))
        self.useseriename = self.usestudydescription = True
        self.patdis = False
        self.patdisnet = nn.Sequential(
            nn.Linear(inner["clsnum"] * inner["dim"], 50), nn.ReLU(), nn.Linear(50, 8)
        )
        if wrap_series_encoder:
            encoder = SerieTransformerEncoder(inner["dim"])
            encoder.prelinear = True
            self.serieencoder = nn.Sequential(encoder, nn.Linear(256, inner["dim"]))
        else:
            self.serieencoder = SerieTransformerEncoder(inner["dim"])
        self.studyencoder = SerieTransformerEncoder(outer["dim"])

    def series_name(self, name: str) -> torch.Tensor:
        if isinstance(self.serieencoder, nn.Sequential):
            return self.serieencoder[1](self.serieencoder[0].encode(name))
        return self.serieencoder.encode(name)

    def embedding(self, tokens: list[torch.Tensor], names: list[str], description: str) -> torch.Tensor:
        vectors = []
        for t, name in zip(tokens, names, strict=True):
            seq = torch.zeros(t.shape[0] + 1, self.innerViT.dim)
            seq[0] = self.series_name(name)
            seq[1:, : t.shape[1]] = t
            vectors.append(self.innerViT.mlp_head(self.innerViT.pooled(seq)))
        study = torch.stack([self.studyencoder.encode(description), *vectors])
        return self.outerViT.pooled(study)


class GPTWrapper(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.model = nn.Sequential(nn.Embedding(30, dim), nn.Linear(dim, dim))
        self.mlp_head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, 16), nn.LayerNorm(16))


class MedicalImagePatchifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.out_dim, self.d = 292, 30
        self.p_enc = torch.randn(7, 30)


class CLIP(nn.Module):
    def __init__(self, visual: HierViT, text: bool) -> None:
        super().__init__()
        self.visual_model = visual
        self.patchifier = MedicalImagePatchifier()
        if text:
            self.text_model = GPTWrapper(32)
        self.temperature = nn.Parameter(torch.zeros(1))


class FullMRIModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()


@dataclass
class Variant:
    """Sizes and layout choices of one fake release file."""

    inner_dim: int = 292
    inner_heads: tuple[int, int] = (4, 16)
    inner_depth: int = 2
    inner_cls: int = 3
    series_dim: int = 32
    outer_heads: tuple[int, int] = (2, 16)
    outer_depth: int = 2
    outer_cls: int = 2
    wrap_series_encoder: bool = True
    text_model: bool = True
    main_module: bool = False
    wrap_top: bool = False
    wrap_clip: bool = False
    keep_clipvisualmodel: bool = True
    head_hidden: tuple[int, ...] = (24, 12)
    diagnoses: int = 6
    distinct_diagnosis_heads: int = 3
    referrals: int = 2
    priority_levels: int = 4
    wrap_heads: tuple[int, ...] = (0,)  # which distinct heads sit in DataParallel
    seed: int = 0
    tensor_thresholds: bool = False  # ``thresh`` as a 0-d tensor instead of a float
    inner_mlp: int = 64
    outer_mlp: int = 48
    # builds a head with given widths instead of random in-memory weights (release-size benchmark)
    head_factory: Callable[[list[int]], nn.Sequential] | None = None


def _randomize(module: nn.Module, generator: torch.Generator) -> None:
    with torch.no_grad():
        for name, p in module.named_parameters():
            if p.numel() == 0:
                continue
            if name.endswith("norm.weight") or ".norm." in name or "layernorm" in name:
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=generator))
            else:
                scale = 1.0 / math.sqrt(p.shape[-1]) if p.ndim > 1 else 0.2
                p.copy_(scale * torch.randn(p.shape, generator=generator))


def _threshold(variant: Variant, generator: torch.Generator) -> float | torch.Tensor:
    value = round(float(torch.randn(1, generator=generator)), 4)
    return torch.tensor(value) if variant.tensor_thresholds else value


def _random_head(dims: list[int], variant: Variant, generator: torch.Generator) -> nn.Sequential:
    if variant.head_factory is not None:
        return variant.head_factory(dims)
    head = _head(dims)
    _randomize(head, generator)
    return head


def _head(dims: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:], strict=True)):
        layers += ([nn.ReLU()] if i else []) + [nn.Linear(a, b)]
    return nn.Sequential(*layers)


def build(variant: Variant) -> FullMRIModel:
    """A random model object shaped like the release, per ``variant``."""
    generator = torch.Generator().manual_seed(variant.seed)
    torch.manual_seed(variant.seed)
    v = variant
    inner = dict(
        dim=v.inner_dim,
        num_classes=v.series_dim,
        depth=v.inner_depth,
        heads=v.inner_heads[0],
        dim_head=v.inner_heads[1],
        mlp_dim=v.inner_mlp,
        clsnum=v.inner_cls,
    )
    outer = dict(
        dim=v.series_dim,
        num_classes=16,
        depth=v.outer_depth,
        heads=v.outer_heads[0],
        dim_head=v.outer_heads[1],
        mlp_dim=v.outer_mlp,
        clsnum=v.outer_cls,
    )
    visual = HierViT(inner, outer, wrap_series_encoder=v.wrap_series_encoder)
    clip = CLIP(visual, v.text_model)
    _randomize(clip, generator)
    top = FullMRIModel()
    top.clipmodel = nn.DataParallel(clip) if v.wrap_clip else clip
    if v.keep_clipvisualmodel:
        top.clipvisualmodel = visual
    emb = v.outer_cls * v.series_dim
    distinct = []
    for i in range(v.distinct_diagnosis_heads):
        head = _random_head([emb, *v.head_hidden, v.diagnoses], v, generator)
        head.thresh = _threshold(v, generator)
        if i in v.wrap_heads:  # the release keeps ``thresh`` on the wrapper
            head = nn.DataParallel(head)
            head.thresh = head.module.thresh
        distinct.append(head)
    names = [f"diag_{i}" for i in range(v.diagnoses)]
    top.diagnosisheads = {n: [distinct[i % len(distinct)], i] for i, n in enumerate(names)}
    top.m1 = nn.ModuleList([top.diagnosisheads[n][0] for n in names])
    top.referralheads = {}
    for i in range(v.referrals):
        head = _random_head([emb, *v.head_hidden, v.referrals], v, generator)
        head.thresh = _threshold(v, generator)
        top.referralheads[f"ref_{i}"] = [head, i]
    top.m2 = nn.ModuleList([h for h, _ in top.referralheads.values()])
    top.priorityhead = _random_head([emb, *v.head_hidden, v.priority_levels], v, generator)
    return nn.DataParallel(top) if v.wrap_top else top


def unwrapped(obj: nn.Module) -> nn.Module:
    return obj.module if isinstance(obj, nn.DataParallel) else obj


@torch.no_grad()
def reference_outputs(
    model: nn.Module, tokens: list[torch.Tensor], names: list[str], description: str
) -> dict:
    """What the released model computes for these token vectors, done directly."""
    top = unwrapped(model)
    visual = unwrapped(top.clipmodel).visual_model
    emb = visual.embedding(tokens, names, description)
    out = {"clip_emb": emb, "diagnosis": {}, "referral": {}, "priority": {}}
    for table, key in ((top.diagnosisheads, "diagnosis"), (top.referralheads, "referral")):
        for name, (head, idx) in table.items():
            out[key][name] = float(unwrapped(head)(emb)[idx] - head.thresh)
    scores = top.priorityhead(emb)
    levels = ["none", "low", "medium", "high"] if scores.shape[0] == 4 else ["none", "low", "high"]
    out["priority"] = {lv: float(scores[i]) for i, lv in enumerate(levels)}
    return out


_CLASSES = {
    "model_parts": [
        PreNorm,
        FeedForward,
        Attention,
        Transformer,
        ViT,
        SerieTransformerEncoder,
        HierViT,
        GPTWrapper,
    ],
    "patchify": [MedicalImagePatchifier],
    "model": [CLIP],
    "complete_visual_model": [FullMRIModel],
}


@contextlib.contextmanager
def official_names(*, main_module: bool = False) -> Iterator[None]:
    """Make the fake classes pickle under the release's module names (restored afterwards)."""
    saved_modules = {name: sys.modules.get(name) for name in _CLASSES}
    saved_names = {cls: cls.__module__ for classes in _CLASSES.values() for cls in classes}
    main = sys.modules["__main__"]
    try:
        for module_name, classes in _CLASSES.items():
            module = types.ModuleType(module_name)
            for cls in classes:
                cls.__module__ = module_name
                setattr(module, cls.__name__, cls)
            sys.modules[module_name] = module
        if main_module:
            FullMRIModel.__module__ = "__main__"
            main.FullMRIModel = FullMRIModel  # type: ignore[attr-defined]
        yield
    finally:
        for cls, name in saved_names.items():
            cls.__module__ = name
        for name, module in saved_modules.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        if main_module and hasattr(main, "FullMRIModel"):
            del main.FullMRIModel


def save(model: nn.Module, path: Path, *, main_module: bool = False) -> Path:
    with official_names(main_module=main_module):
        torch.save(model, path)
    return path
