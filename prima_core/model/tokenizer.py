"""The VQ-VAE tokenizer: only its encoder runs at inference (continuous latents, no quantization).

The module is MONAI's ``VQVAE`` (same parameter names as the released MONAI-generative file);
we build it on the meta device and keep only ``.encoder``, so the decoder and codebook never
take memory.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch
from monai.networks.nets import VQVAE
from torch import Tensor, nn

from prima_core.model.precision import autocast

RELEASED_TOKENIZER_CONFIG: dict[str, Any] = {
    "spatial_dims": 3,
    "in_channels": 1,
    "out_channels": 1,
    "num_res_layers": 2,
    "downsample_parameters": [[2, 4, 1, 1], [2, 2, 1, 0]],
    "upsample_parameters": [[2, 4, 1, 1, 0], [2, 2, 1, 0, 0]],
    "channels": [256, 256],
    "num_res_channels": [256, 256],
    "num_embeddings": 8192,
    "embedding_dim": 2,
}

_VQVAE_ARGS = set(inspect.signature(VQVAE.__init__).parameters) - {"self"}


def normalize_tokenizer_config(raw: dict[str, Any]) -> dict[str, Any]:
    """The release's ``vqvae_config`` (``num_channels``; ``ckpt_path``) -> MONAI ``VQVAE`` arguments.

    Keys MONAI does not know (such as ``ckpt_path``) are dropped; lists stay lists so the
    result is JSON-friendly.
    """
    config = dict(raw)
    if "num_channels" in config and "channels" not in config:
        config["channels"] = config.pop("num_channels")
    config = {k: v for k, v in config.items() if k in _VQVAE_ARGS}
    missing = [k for k in RELEASED_TOKENIZER_CONFIG if k not in config]
    if missing:
        raise ValueError(f"tokenizer config lacks {', '.join(missing)}")
    return config


def build_vqvae(config: dict[str, Any], *, device: str | torch.device = "cpu") -> VQVAE:
    """The whole MONAI VQ-VAE (encoder, decoder, codebook) for ``config``."""
    args = dict(config)
    for key in ("downsample_parameters", "upsample_parameters"):
        args[key] = tuple(tuple(p) for p in args[key])
    with torch.device(device):
        return VQVAE(**args)


class Tokenizer(nn.Module):
    """Patch (N, 1, A, B, C) -> latent (N, embedding_dim, A/4, B/4, C/4) for the released layout."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self.config = dict(config)
        self.encoder = build_vqvae(config, device="meta").encoder
        self.autocast_dtype: torch.dtype | None = None  # set by load_bundle for --precision auto
        self.channels_last = False

    def set_precision(self, dtype: torch.dtype | None, *, channels_last: bool = False) -> None:
        """Run the convolutions under autocast ``dtype`` (``None``: fp32), optionally channels-last."""
        self.autocast_dtype = dtype
        self.channels_last = channels_last
        layout = torch.channels_last_3d if channels_last else torch.contiguous_format
        self.encoder.to(memory_format=layout)  # type: ignore[call-overload]

    def encode_latents(self, x: Tensor) -> Tensor:
        """The encoder output, before quantization (what ``VQVAE.encode`` returns), as float32.

        ``x`` (N, 1, A, B, C) is moved to the tokenizer's device.
        """
        device = next(self.encoder.parameters()).device
        x = x.to(device=device, dtype=torch.float32)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last_3d)
        with autocast(device, self.autocast_dtype):
            y = self.encoder(x)
        return y.float().contiguous()

    def forward(self, x: Tensor) -> Tensor:
        return self.encode_latents(x)

    def load_encoder(self, state: dict[str, Tensor]) -> None:
        """Take the ``encoder.*`` tensors of a full VQ-VAE state dict (others are ignored)."""
        encoder_state = {k[len("encoder.") :]: v for k, v in state.items() if k.startswith("encoder.")}
        self.encoder.load_state_dict(encoder_state, strict=True, assign=True)
        self.encoder.eval().requires_grad_(False)
