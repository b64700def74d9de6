"""Running the VQ-VAE encoder over patches: chunked and cancellable.

The encoder is any object with ``encode_latents(x[N, 1, A, B, C]) -> [N, 2, A/4, B/4, C/4]``
(``ModelBundle.tokenizer``, which applies the bundle's precision: autocast and channels-last
layout). Only the patches that the selection keeps are encoded, each once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import torch

from prima_core.progress import CancelToken, check

# Patches per encoder call, for the released 256-channel tokenizer. On a CPU, 32-64 run at the
# same speed in fp32 and fastest in bf16 (2-core AVX-512 development machine, CPU-time measured;
# 16 is ~20 % slower in bf16); a GPU wants more. Narrower tokenizers (the fixture's, a demo
# model's) get proportionally larger chunks, so per-call overhead does not dominate.
CPU_CHUNK = 32
GPU_CHUNK = 256
MAX_CHUNK = 400  # the release's chunk size
RELEASED_CHANNELS = 256


def default_chunk(device: torch.device, channels: int = RELEASED_CHANNELS) -> int:
    base = GPU_CHUNK if device.type == "cuda" else CPU_CHUNK
    return int(min(MAX_CHUNK, max(base, base * RELEASED_CHANNELS // max(channels, 1))))


def _first_stage_channels(encoder: object) -> int:
    config = getattr(encoder, "config", None)
    if isinstance(config, dict) and config.get("channels"):
        return int(config["channels"][0])
    return RELEASED_CHANNELS


class LatentEncoder(Protocol):
    def encode_latents(self, x: torch.Tensor) -> torch.Tensor: ...


def encode_patches(
    encoder: LatentEncoder,
    patches: np.ndarray,
    *,
    slice_axis: int,
    device: torch.device,
    chunk_size: int | None = None,
    cancel: CancelToken | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """Encode ``patches`` (m, p0, p1, p2) after repeating each slice twice along ``slice_axis``.

    The repeat turns the 4-voxel slice axis into the tokenizer's 8 (what the release's area
    resize does for an exact 2x upscale). Returns float32 latents on the CPU, (m, 2, a, b, c).
    ``cancel`` is checked before each chunk and ``on_chunk(done, total)`` called after it;
    ``chunk_size`` defaults to :func:`default_chunk`.
    """
    chunk_size = chunk_size or default_chunk(device, _first_stage_channels(encoder))
    total = len(patches)
    outputs: list[torch.Tensor] = []
    with torch.inference_mode():
        for start in range(0, total, chunk_size):
            check(cancel)
            chunk = torch.from_numpy(np.ascontiguousarray(patches[start : start + chunk_size])).to(device)
            x = chunk.repeat_interleave(2, dim=1 + slice_axis).unsqueeze(1)
            outputs.append(encoder.encode_latents(x).float().cpu())
            if on_chunk is not None:
                on_chunk(min(start + chunk_size, total), total)
    if not outputs:
        return torch.empty(0, dtype=torch.float32)
    return torch.cat(outputs)
