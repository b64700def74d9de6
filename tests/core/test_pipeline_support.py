"""Shared helpers for the pipeline tests: fixture paths, the fixture tokenizer, synthetic volumes.

(Named ``test_pipeline_*`` so it sits with the pipeline tests; it holds no tests itself.)
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import torch

from prima_core.io.volume import Volume

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "prima_parity"
STUDIES = FIXTURES / "studies"


def expected(study: str) -> dict:
    return json.loads((FIXTURES / f"expected_study_{study}.json").read_text())


@cache
def fixture_vqvae() -> torch.nn.Module:
    """The fixture tokenizer as a MONAI VQVAE (release config: ``num_channels`` -> ``channels``)."""
    from monai.networks.nets import VQVAE

    config = json.loads((FIXTURES / "tokenizer_config.json").read_text())["vqvae_config"]
    config["channels"] = config.pop("num_channels")
    config.pop("ckpt_path")
    model = VQVAE(**config)
    model.load_state_dict(torch.load(FIXTURES / "tokenizer.pth", weights_only=True))
    return model.eval()


class FixtureEncoder:
    """``encode_latents`` over MONAI's ``VQVAE.encode`` (the continuous encoder output)."""

    def encode_latents(self, x: torch.Tensor) -> torch.Tensor:
        return fixture_vqvae().encode(x)


def direction_from(columns: list[list[float]]) -> np.ndarray:
    """A unit direction matrix from three column vectors."""
    d = np.asarray(columns, dtype=np.float64).T
    return d / np.linalg.norm(d, axis=0)


def make_volume(
    shape_kji: tuple[int, int, int],
    *,
    direction: np.ndarray | None = None,
    spacing: tuple[float, float, float] = (1.0, 1.0, 3.0),
    origin: tuple[float, float, float] = (-100.0, -110.0, -40.0),
    dtype: type = np.uint16,
    seed: int = 0,
) -> Volume:
    """A random-valued volume placed with the given geometry."""
    rng = np.random.default_rng(seed)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        low, high = max(info.min, -2000), min(info.max, 3000)
        array = rng.integers(low, high, size=shape_kji).astype(dtype)
    else:
        array = (rng.normal(size=shape_kji) * 300 + 500).astype(dtype)
    affine = np.eye(4)
    d = np.eye(3) if direction is None else direction
    affine[:3, :3] = d * np.asarray(spacing)[None, :]
    affine[:3, 3] = origin
    return Volume(array, affine)
