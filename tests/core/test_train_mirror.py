"""The left-right mirror of a study record equals what the pipeline makes of the mirrored volume."""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from prima_core.demo.dataset_records import SeriesRecord, StudyRecord
from prima_core.demo.train_mirror import mirror_numbers, mirror_record
from prima_core.pipeline.grid import token_grid
from prima_core.pipeline.selection import fill_values, select_tokens
from prima_core.pipeline.tokens import cut_patches


def _head(shape: tuple[int, int, int], seed: int) -> np.ndarray:
    """An asymmetric blob of 'tissue' (values 100-400) in dark air, its sides different."""
    rng = np.random.default_rng(seed)
    z, y, x = np.indices(shape, dtype=np.float32)
    c = np.array(shape, dtype=np.float32) / 2
    r = sum(
        ((a - m) / (f * n)) ** 2 for a, m, f, n in zip((z, y, x - 6), c, (0.4, 0.4, 0.3), shape, strict=True)
    )
    tissue = ndi.gaussian_filter(rng.uniform(100, 400, shape).astype(np.float32), 2) * (r < 1)
    return tissue + rng.uniform(0, 20, shape).astype(np.float32)  # air stays below the threshold


def _record(padded: np.ndarray, grid, lesion_box: tuple[slice, slice, slice]) -> SeriesRecord:
    selection = select_tokens(fill_values(padded, grid), grid)
    unique = np.unique(selection.kept)
    raw = cut_patches(padded, grid, unique)
    lesion = np.zeros(padded.shape, bool)
    lesion[lesion_box] = True
    touched = cut_patches(lesion.astype(np.float32), grid, unique).reshape(len(unique), -1).any(1)
    return SeriesRecord.from_raw(
        name="AX_T2", grid=grid, selection=selection, raw_patches=raw, peak=float(padded.max()),
        lesions=np.stack([touched, np.zeros_like(touched)], axis=1),
    )  # fmt: skip


def test_mirror_matches_the_pipeline_on_the_mirrored_volume() -> None:
    cases = (((40, 256, 256), 0, (slice(8, 20), slice(90, 130), slice(30, 70))),
             ((256, 256, 24), 2, (slice(90, 130), slice(100, 140), slice(2, 9))))  # fmt: skip
    for shape, axis, box in cases:  # the lesion box lies on one side only
        grid = token_grid(shape, acquisition_axis=axis)
        assert grid.pad_before[2] * 2 == grid.padded_shape[2] - shape[2]  # symmetric along L here
        volume = _head(grid.padded_shape, seed=axis)
        series = [_record(volume, grid, box)]
        record = StudyRecord(seed=1, labels=["x"], requested=["x"], description="d", series=series)
        mirrored = mirror_record(record).series[0]
        flipped = np.ascontiguousarray(volume[:, :, ::-1])
        n2 = grid.padded_shape[2]
        flipped_box = (box[0], box[1], slice(n2 - box[2].stop, n2 - box[2].start))
        expected = _record(flipped, grid, flipped_box)
        # the same set of kept patches (duplicates included), the same pixels and labels per patch
        assert sorted(mirrored.selection.kept.tolist()) == sorted(expected.selection.kept.tolist())
        assert np.array_equal(mirrored.raw_patches, expected.raw_patches)
        assert np.array_equal(mirrored.lesions, expected.lesions)
        assert mirrored.peak == expected.peak
        assert record.series[0].lesions[:, 0].any()  # the lesion is in kept patches
        # not the identity: the volume is asymmetric
        assert not np.array_equal(mirrored.raw_patches, record.series[0].raw_patches)


def test_mirror_numbers_is_an_involution() -> None:
    blocks = (5, 8, 8)
    numbers = np.arange(5 * 8 * 8)
    once = mirror_numbers(numbers, blocks)
    assert sorted(once.tolist()) == numbers.tolist()
    assert np.array_equal(mirror_numbers(once, blocks), numbers)
    assert mirror_numbers(np.array([0]), blocks)[0] == 7  # (0, 0, 0) -> (0, 0, 7)
