"""The lesion-aware tokenizer option of the demo recipe: patch sampling, latent layout, the term."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from prima_core.demo.train import _key
from prima_core.demo.train_config import TokenizerTrainConfig
from prima_core.demo.train_tokenizer import PatchPool, _pick, canonical_latents, train_vqvae


def test_the_recipe_keeps_its_tokenizer_cache_key():
    # the key of the recipe's tokenizer before the lesion options existed: work folders still match
    assert _key(TokenizerTrainConfig(), 0, 320, None) == "cc04672f15ff"
    config = replace(TokenizerTrainConfig(), lesion_weight=0.3)
    assert config.lesion_key() == {"lesion_weight": 0.3}
    assert TokenizerTrainConfig().lesion_key() == {}


def test_pick_draws_the_lesion_share_from_lesion_patches():
    lesions = np.zeros((100, 3), dtype=bool)
    lesions[[5, 17, 40, 41, 90], 1] = True
    rng = np.random.default_rng(0)
    pick = _pick(lesions, 10, 0.5, rng)
    assert len(pick) == 10 == len(set(pick.tolist())) and np.all(np.diff(pick) > 0)
    assert lesions[pick].any(axis=1).sum() == 5  # all five lesion patches, then five others
    pick = _pick(lesions, 10, 0.2, np.random.default_rng(1))
    assert lesions[pick].any(axis=1).sum() >= 2
    # share 0 is the recipe's plain draw, number for number
    expected = np.sort(np.random.default_rng(2).choice(100, size=10, replace=False))
    np.testing.assert_array_equal(_pick(lesions, 10, 0.0, np.random.default_rng(2)), expected)


def test_canonical_latents_give_every_slice_axis_one_layout():
    z = torch.arange(2 * 8 * 8 * 2, dtype=torch.float32).reshape(1, 2, 8, 8, 2)  # slice axis 2, last
    for axis in range(3):
        moved = torch.movedim(z, 4, 2 + axis)  # the same content as a patch of that slice axis
        torch.testing.assert_close(canonical_latents(moved, axis), z.reshape(1, -1))


def _pool(n: int = 64) -> PatchPool:
    """Patches of one slice axis; the lesion patches carry a bright cube."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0.0, 0.3, size=(n, 1, 8, 32, 32)).astype(np.float32)
    labels = np.zeros((n, 2), dtype=np.float32)
    labels[::2, 0] = 1.0
    x[::2, :, 2:6, 8:20, 8:20] = 0.9
    return PatchPool({0: torch.from_numpy(x)}, {0: torch.from_numpy(labels)})


def test_the_lesion_term_trains_and_needs_labels():
    config = replace(
        TokenizerTrainConfig(), channels=(4, 4), steps=4, batch=8, lesion_weight=1.0, lesion_share=0.5
    )
    vqvae = train_vqvae(_pool(), config, seed=0)
    with torch.no_grad():
        latents = vqvae.encoder(_pool().by_axis[0][:2])
    assert latents.shape == (2, 2, 2, 8, 8) and torch.isfinite(latents).all()
    with pytest.raises(ValueError, match="lesion labels"):
        train_vqvae(PatchPool(_pool().by_axis), config, seed=0)
    # the term changes what the encoder learns from the same patches and seed
    plain = train_vqvae(_pool(), replace(config, lesion_weight=0.0), seed=0)
    a, b = vqvae.encoder.blocks[0].conv.weight, plain.encoder.blocks[0].conv.weight
    assert not torch.allclose(a, b)
