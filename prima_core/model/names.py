"""Character codes of series names and study descriptions, and the encoder that reads them."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from prima_core.model.spec import NameEncoderSpec
from prima_core.model.vit import Transformer

ALPHABET = "abcdefghijklmnopqrstuvwxyz_+-0123456789.*(),"
UNKNOWN_CODE = 45
END_CODE = 46
_INDEX = {c: i + 1 for i, c in enumerate(ALPHABET)}


def name_codes(text: str, *, max_chars: int = 200) -> list[int]:
    """Lower-cased characters as codes 1..44 (others 45), then the end code 46.

    The released pipeline has position codes for 200 characters and fails on longer names;
    we keep the first ``max_chars - 1`` characters instead.
    """
    codes = [_INDEX.get(c, UNKNOWN_CODE) for c in text.lower()[: max_chars - 1]]
    codes.append(END_CODE)
    return codes


def sinusoid_code(positions: Tensor, channels: int) -> Tensor:
    """``[sin(p f0), cos(p f0), sin(p f1), ...]`` with ``f_k = 10000^(-2k/channels)``, float32.

    ``positions`` (n,) -> (n, channels). Computed in float32 like the released tables.
    """
    even = (channels + 1) // 2 * 2
    steps = torch.arange(0, even, 2, dtype=torch.float32, device=positions.device)
    inv_freq = 1.0 / (10000 ** (steps / even))
    angles = positions.to(torch.float32)[:, None] * inv_freq[None, :]
    code = torch.stack((angles.sin(), angles.cos()), dim=-1).flatten(-2)
    return code[:, :channels]


class NameEncoder(nn.Module):
    """Embedding ++ character-position code -> pre-norm transformer -> end-token output -> Linear."""

    def __init__(self, spec: NameEncoderSpec, *, name: str = "") -> None:
        super().__init__()
        self.max_chars = spec.max_chars
        self.embed = nn.Embedding(spec.vocab, spec.embed_dim)
        self.transformer = Transformer(spec.transformer, name=name)
        self.proj = nn.Linear(spec.transformer.dim, spec.out_dim)
        table = sinusoid_code(torch.arange(spec.max_chars, device="cpu"), spec.position_channels)
        self.register_buffer("position_code", table, persistent=False)

    def forward(self, texts: list[str]) -> Tensor:
        """Encode each text; returns (len(texts), out_dim)."""
        device = self.embed.weight.device
        codes = [name_codes(t, max_chars=self.max_chars) for t in texts]
        lengths = torch.tensor([len(c) for c in codes], device=device)
        longest = int(lengths.max())
        padded = torch.full((len(codes), longest), END_CODE, dtype=torch.long)
        for row, c in enumerate(codes):
            padded[row, : len(c)] = torch.tensor(c)
        padded = padded.to(device)
        table: Tensor = self.position_code  # type: ignore[assignment]
        position = table[:longest].to(device)
        x = torch.cat((self.embed(padded), position.expand(len(codes), -1, -1)), dim=-1)
        key_mask = None
        if bool((lengths < longest).any()):
            key_mask = torch.arange(longest, device=device)[None, :] < lengths[:, None]
        x = self.transformer(x, key_mask)
        last = x[torch.arange(len(codes), device=device), lengths - 1]
        return self.proj(last)
