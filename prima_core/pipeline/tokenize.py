"""One series, end to end up to its token vectors: fill values, selection, encoding, assembly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from prima_core.pipeline.encoder import LatentEncoder, encode_patches
from prima_core.pipeline.preprocess import PreparedSeries
from prima_core.pipeline.selection import Selection, fill_values, select_tokens
from prima_core.pipeline.tokens import SeriesTokens, cut_patches, gather_kept, scaled_padded, token_vectors
from prima_core.progress import CancelToken


@dataclass
class EncodedSelection:
    """What the cache stores: the selection and the latents of its unique patches."""

    selection: Selection
    unique_latents: torch.Tensor  # (u, 2, a, b, c), one per distinct kept patch, ascending number


def select_and_encode(
    prepared: PreparedSeries,
    encoder: LatentEncoder,
    *,
    device: torch.device,
    chunk_size: int | None = None,
    cancel: CancelToken | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> EncodedSelection:
    """Choose the kept patches of a series and encode each distinct one once."""
    grid = prepared.grid
    padded = prepared.padded_array()
    selection = select_tokens(fill_values(padded, grid), grid)
    unique = np.unique(selection.kept)
    patches = cut_patches(scaled_padded(padded), grid, unique)
    latents = encode_patches(
        encoder,
        patches,
        slice_axis=grid.slice_axis,
        device=device,
        chunk_size=chunk_size,
        cancel=cancel,
        on_chunk=on_chunk,
    )
    return EncodedSelection(selection=selection, unique_latents=latents)


def assemble_tokens(prepared: PreparedSeries, encoded: EncodedSelection) -> SeriesTokens:
    """Expand unique latents to the release's kept order and build the token vectors."""
    kept = encoded.selection.kept
    unique, inverse = np.unique(kept, return_inverse=True)
    if len(unique) != len(encoded.unique_latents):
        raise ValueError("cached latents do not match the selection")
    latents = gather_kept(encoded.unique_latents, inverse)
    coords = prepared.grid.block_coords(kept)
    return SeriesTokens(
        grid=prepared.grid,
        selection=encoded.selection,
        coords=coords,
        latents=latents,
        vectors=token_vectors(latents, coords),
    )
