"""Pre-norm transformer blocks and the cls-token ViT used at both levels of Prima.

Attention runs through ``scaled_dot_product_attention`` with a boolean key mask, so several
sequences of different lengths go through one batched pass and each attends only to itself.
Inside ``record_attention()`` the softmax is computed explicitly instead and every layer's
weights are kept, for attention rollout.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from prima_core.model.spec import TransformerSpec, ViTSpec


@dataclass
class AttentionRecord:
    """One layer's attention weights, shape (batch, heads, queries, keys)."""

    layer: str
    weights: Tensor
    key_mask: Tensor | None  # (batch, keys) True where the key is a real token


@dataclass
class AttentionRecorder:
    """Collects ``AttentionRecord`` s in the order the layers ran."""

    records: list[AttentionRecord] = field(default_factory=list)

    def for_prefix(self, prefix: str) -> list[AttentionRecord]:
        return [r for r in self.records if r.layer.startswith(prefix)]


_RECORDER: ContextVar[AttentionRecorder | None] = ContextVar("prima_attention_recorder", default=None)


@contextmanager
def record_attention() -> Iterator[AttentionRecorder]:
    """Within this block every attention layer stores its weights (kept in the autograd graph)."""
    recorder = AttentionRecorder()
    token = _RECORDER.set(recorder)
    try:
        yield recorder
    finally:
        _RECORDER.reset(token)


class Attention(nn.Module):
    """Multi-head self-attention: qkv without bias, split (3, heads, dim_head) per token."""

    def __init__(self, spec: TransformerSpec, *, name: str = "") -> None:
        super().__init__()
        self.heads = spec.heads
        self.dim_head = spec.dim_head
        self.name = name
        inner = spec.heads * spec.dim_head
        self.qkv = nn.Linear(spec.dim, 3 * inner, bias=False)
        self.out = nn.Linear(inner, spec.dim) if spec.project_out else None

    def forward(self, x: Tensor, key_mask: Tensor | None = None) -> Tensor:
        batch, length, _ = x.shape
        qkv = self.qkv(x).view(batch, length, 3, self.heads, self.dim_head).permute(2, 0, 3, 1, 4)
        q, k, v = (t.contiguous() for t in qkv.unbind(0))
        attn_mask = None if key_mask is None else key_mask[:, None, None, :]
        recorder = _RECORDER.get()
        if recorder is None:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
        else:
            scores = (q @ k.transpose(-1, -2)) * self.dim_head**-0.5
            if attn_mask is not None:
                scores = scores.masked_fill(~attn_mask, float("-inf"))
            weights = scores.softmax(dim=-1)
            recorder.records.append(AttentionRecord(self.name, weights, key_mask))
            y = weights @ v
        y = y.transpose(1, 2).reshape(batch, length, self.heads * self.dim_head)
        return y if self.out is None else self.out(y)


class FeedForward(nn.Sequential):
    """Linear -> GELU -> Linear."""

    def __init__(self, spec: TransformerSpec) -> None:
        super().__init__(
            nn.Linear(spec.dim, spec.mlp_dim),
            nn.GELU(approximate=spec.gelu_approximate),
            nn.Linear(spec.mlp_dim, spec.dim),
        )


class Block(nn.Module):
    """``x + Attn(LN(x))`` then ``x + FF(LN(x))``."""

    def __init__(self, spec: TransformerSpec, *, name: str = "") -> None:
        super().__init__()
        self.attn_norm = nn.LayerNorm(spec.dim, eps=spec.eps)
        self.attn = Attention(spec, name=name)
        self.ff_norm = nn.LayerNorm(spec.dim, eps=spec.eps)
        self.ff = FeedForward(spec)

    def forward(self, x: Tensor, key_mask: Tensor | None = None) -> Tensor:
        x = x + self.attn(self.attn_norm(x), key_mask)
        return x + self.ff(self.ff_norm(x))


class Transformer(nn.Module):
    def __init__(self, spec: TransformerSpec, *, name: str = "") -> None:
        super().__init__()
        self.layers = nn.ModuleList(Block(spec, name=f"{name}.{i}") for i in range(spec.depth))

    def forward(self, x: Tensor, key_mask: Tensor | None = None) -> Tensor:
        for layer in self.layers:
            x = layer(x, key_mask)
        return x


class ViT(nn.Module):
    """Prepends ``cls_count`` learned tokens and returns their normalized outputs, flattened.

    No position embedding: the released model has none at either level.
    """

    def __init__(self, spec: ViTSpec, *, name: str = "") -> None:
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, spec.cls_count, spec.dim))
        self.transformer = Transformer(spec.transformer, name=name)
        self.norm = nn.LayerNorm(spec.dim, eps=spec.transformer.eps)

    @property
    def cls_count(self) -> int:
        return self.cls_token.shape[1]

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        """``x`` (batch, n, dim) padded at the end; ``lengths`` (batch,) real tokens per row.

        Returns (batch, cls_count * dim).
        """
        batch, n, _ = x.shape
        cls = self.cls_token.to(x.dtype).expand(batch, -1, -1)
        x = torch.cat((cls, x), dim=1)
        key_mask = None
        if lengths is not None and bool((lengths < n).any()):
            positions = torch.arange(n + self.cls_count, device=x.device)
            key_mask = positions[None, :] < (lengths.to(x.device)[:, None] + self.cls_count)
        x = self.transformer(x, key_mask)
        return self.norm(x[:, : self.cls_count]).reshape(batch, -1)
