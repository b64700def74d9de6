"""The left-right mirror image of a study record: a second, equally plausible patient for training.

The pipeline lays every series out as ``padded[S, P, L]``, so mirroring a patient left to right
is mirroring the padded grid along its last axis: patch ``(i0, i1, i2)`` becomes patch
``(i0, i1, n2 - 1 - i2)`` with its voxels reversed along that axis. The token selection of the
mirrored volume keeps the mirrored patches (its fill values and hole filling are symmetric), the
lesion labels and the scaling peak stay with their patches, and the labels of the study do not
change (no demo finding depends on the side). Tokenizing the mirrored record runs the same
encoder, so the ViT sees what the pipeline would make of the mirrored patient (up to padding
that is not symmetric, which moves the content by the difference of the two pads, a few voxels).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from prima_core.demo.dataset_records import SeriesRecord, StudyRecord


def mirror_numbers(numbers: np.ndarray, blocks: tuple[int, int, int]) -> np.ndarray:
    """C-order patch numbers of the mirrored grid (last axis reversed)."""
    i0, i1, i2 = np.unravel_index(np.asarray(numbers, dtype=np.int64), blocks)
    return np.ravel_multi_index((i0, i1, blocks[2] - 1 - i2), blocks).astype(np.int64)


def mirror_series(series: SeriesRecord) -> SeriesRecord:
    """One series mirrored left to right (raw patches and lesion labels in the new patch order)."""
    blocks = series.grid.blocks
    kept = np.asarray(series.selection.kept, dtype=np.int64)
    unique = np.unique(kept)  # the order of raw_patches and lesions
    new_numbers = mirror_numbers(unique, blocks)
    order = np.argsort(new_numbers, kind="stable")  # the mirrored record's ascending patch order
    raw = np.ascontiguousarray(series.raw_patches[order][..., ::-1])
    lesions = None if series.lesions is None else np.asarray(series.lesions)[order]
    selection = replace(series.selection, kept=mirror_numbers(kept, blocks))
    return SeriesRecord(series.name, series.grid, selection, raw, series.peak, lesions)


def mirror_record(record: StudyRecord) -> StudyRecord:
    """The whole study mirrored left to right; labels and description unchanged."""
    return replace(record, series=[mirror_series(s) for s in record.series])
