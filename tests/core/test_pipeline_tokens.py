"""Tokens of the parity studies equal what the released pipeline computed (``_intermediate``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from prima_core.io import open_studies
from prima_core.pipeline.grid import token_grid
from prima_core.pipeline.order import release_order
from prima_core.pipeline.preprocess import prepare_series
from prima_core.pipeline.selection import fill_values, select_tokens
from prima_core.pipeline.tokenize import assemble_tokens, select_and_encode
from prima_core.pipeline.tokens import cut_patches, position_codes, scaled_padded, token_vectors
from tests.core.test_pipeline_support import STUDIES, FixtureEncoder, expected, fixture_vqvae


def _series_tokens(study: str):
    series = release_order(open_studies(STUDIES / f"study_{study}").studies[0].series)
    out = []
    for s in series:
        prepared = prepare_series(s.load())
        encoded = select_and_encode(prepared, FixtureEncoder(), device=torch.device("cpu"))
        out.append((s, prepared, assemble_tokens(prepared, encoded)))
    return out


@pytest.mark.parametrize("study", ["a", "b"])
def test_tokens_match_the_release_intermediates(study):
    want = expected(study)["_intermediate"]
    got = _series_tokens(study)
    assert [s.model_name for s, _, _ in got] == want["series_names"]
    for n, (_, _, tokens) in enumerate(got):
        assert tokens.selection.tokens_total == want["tokens_per_series_before_filter"][n]
        assert list(tokens.latents.shape[1:]) == want["token_shapes"][n]
        assert [list(c) for c in tokens.selection.filter_calls] == [want["filter_calls"][n]]
        assert tokens.coords.tolist() == want["kept_coords"][n]  # identical, in order, duplicates kept
        assert math.isclose(float(tokens.latents.double().sum()), want["kept_token_sums"][n], rel_tol=1e-6)
        assert tokens.vectors.shape == (want["lenss"][0][n], 289)
    longest = max(t.vectors.shape[0] for _, _, t in got)
    assert [[1, longest, 289]] * len(got) == want["visual_shapes"]


def test_encoding_only_kept_patches_equals_encoding_all_then_selecting():
    series = release_order(open_studies(STUDIES / "study_a").studies[0].series)[2]  # sagittal, 192 patches
    prepared = prepare_series(series.load())
    grid = prepared.grid
    padded = prepared.padded_array()
    everything = cut_patches(scaled_padded(padded), grid, np.arange(grid.n_patches))
    x = torch.from_numpy(everything).repeat_interleave(2, dim=1 + grid.slice_axis).unsqueeze(1)
    with torch.inference_mode():
        all_latents = fixture_vqvae().encode(x)  # the release: every patch, one chunk of <= 400
    kept = select_tokens(fill_values(padded, grid), grid).kept
    ours = assemble_tokens(
        prepared, select_and_encode(prepared, FixtureEncoder(), device=torch.device("cpu"))
    )
    assert torch.allclose(ours.latents, all_latents[torch.as_tensor(kept)], atol=1e-5)


def test_token_vector_layout():
    latents = torch.arange(2 * 8 * 2 * 8, dtype=torch.float32).reshape(1, 2, 8, 2, 8)  # orientation 1
    coords = np.array([[96, 8, 224]])
    v = token_vectors(latents, coords)
    assert v.shape == (1, 289)
    assert torch.equal(v[0, :256], latents.transpose(2, 3).reshape(-1))
    assert v[0, 286:].tolist() == [0.0, 1.0, 0.0]
    g = [96 // 32, 8 // 4, 224 // 32]
    freqs = [1 / 10000 ** (2 * k / 10) for k in range(5)]
    ref = [f(p * fk) for p in g for fk in freqs for f in (math.sin, math.cos)]
    assert np.allclose(v[0, 256:286].numpy(), ref, atol=1e-6)
    assert torch.equal(position_codes(np.array([g]))[0], v[0, 256:286])


def test_all_256_series_uses_the_acquisition_slice_axis():
    # The release fails here; we tokenize along the slice axis the series was acquired with.
    grid = token_grid((256, 256, 256), acquisition_axis=2)
    assert grid.slice_axis == 2 and grid.patch_shape == (32, 32, 4)
    assert token_grid((256, 20, 256), acquisition_axis=0).slice_axis == 1  # first non-256 axis wins
