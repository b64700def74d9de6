"""The VQ-VAE tokenizer: encoder-only, identical to MONAI's ``VQVAE.encode``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from prima_core.model.tokenizer import (
    RELEASED_TOKENIZER_CONFIG,
    Tokenizer,
    build_vqvae,
    normalize_tokenizer_config,
)

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "prima_parity"


@pytest.fixture(scope="module")
def fixture_tokenizer() -> tuple[dict, dict[str, torch.Tensor]]:
    raw = json.loads((FIXTURES / "tokenizer_config.json").read_text())["vqvae_config"]
    state = torch.load(FIXTURES / "tokenizer.pth", map_location="cpu", weights_only=True)
    return normalize_tokenizer_config(raw), state


def test_release_config_is_normalized():
    raw = {**RELEASED_TOKENIZER_CONFIG, "ckpt_path": "x.pth"}
    raw["num_channels"] = raw.pop("channels")
    config = normalize_tokenizer_config(raw)
    assert config == RELEASED_TOKENIZER_CONFIG


def test_encode_latents_equals_monai_encode(fixture_tokenizer):
    config, state = fixture_tokenizer
    vqvae = build_vqvae(config)
    vqvae.load_state_dict(state, strict=True)
    tokenizer = Tokenizer(config)
    tokenizer.load_encoder(state)
    assert not any(name.startswith(("decoder", "quantizer")) for name, _ in tokenizer.named_parameters())
    patches = torch.rand(3, 1, 8, 32, 32)
    with torch.no_grad():
        want = vqvae.eval().encode(patches)
    got = tokenizer.encode_latents(patches)
    assert got.shape == (3, 2, 2, 8, 8) and got.dtype == torch.float32
    assert torch.equal(got, want)
    # the slice axis may be any of the three
    assert tokenizer.encode_latents(torch.rand(1, 1, 32, 8, 32)).shape == (1, 2, 8, 2, 8)


def test_bf16_channels_last_path_stays_close(fixture_tokenizer):
    config, state = fixture_tokenizer
    tokenizer = Tokenizer(config)
    tokenizer.load_encoder(state)
    patches = torch.rand(4, 1, 8, 32, 32)
    reference = tokenizer.encode_latents(patches)
    tokenizer.set_precision(torch.bfloat16, channels_last=True)
    fast = tokenizer.encode_latents(patches)
    assert fast.dtype == torch.float32 and fast.is_contiguous()
    scale = reference.abs().max()
    assert (fast - reference).abs().max() < 0.05 * scale
