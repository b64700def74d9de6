"""Heat maps land on the voxels of the token they score, in each series' own grid; regions."""

from __future__ import annotations

import numpy as np
import pytest

from prima_core.explain.heatmap import block_scores, heatmap_volume, render_series_map
from prima_core.explain.regions import lesion_distance_mm, top_regions
from prima_core.io import open_studies
from prima_core.pipeline.geometry import token_box_to_volume_index, token_centers_lps
from prima_core.pipeline.preprocess import prepare_series
from tests.core.dicom_factory import make_series

CASES = {
    "axial": dict(orientation="axial", shape=(40, 36, 10), spacing=(1.1, 1.3, 3.0)),
    "sagittal": dict(orientation="sagittal", shape=(44, 30, 9), spacing=(1.0, 1.2, 3.5)),
    "oblique": dict(
        orientation="oblique", shape=(36, 40, 11), spacing=(1.2, 1.0, 2.5), center=(5.0, -8.0, 12.0)
    ),
}


@pytest.fixture(scope="module", params=list(CASES))
def case(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    make_series(folder, **CASES[request.param])
    volume = open_studies(folder).studies[0].series[0].load()
    return request.param, volume, prepare_series(volume)


def _token_at(prepared, ijk) -> np.ndarray:
    """Padded-grid start (c0, c1, c2) of the token whose block holds source voxel ``ijk``."""
    to_padded = np.linalg.inv(prepared.padded_to_source)
    c = (to_padded[:3, :3] @ np.asarray(ijk, dtype=np.float64) + to_padded[:3, 3])[::-1]
    patch = np.asarray(prepared.grid.patch_shape)
    return (np.floor((c + 0.5) / patch) * patch).astype(np.int64)


def _voxel_centres(volume) -> np.ndarray:
    nk, nj, ni = volume.array.shape
    k, j, i = np.meshgrid(np.arange(nk), np.arange(nj), np.arange(ni), indexing="ij")
    return np.stack([i, j, k], axis=-1).astype(np.float64)  # [k, j, i, (i, j, k)]


@pytest.mark.parametrize("where", [(0.5, 0.5, 0.5), (0.1, 0.8, 0.3)])
def test_one_token_lands_on_its_box(case, where):
    name, volume, prepared = case
    ijk = np.round((np.asarray(volume.shape_ijk) - 1) * np.asarray(where))
    coord = _token_at(prepared, ijk)
    heat = heatmap_volume(prepared, coord[None], np.array([2.0]), scale=2.0)
    assert heat.array.shape == volume.array.shape
    np.testing.assert_array_equal(heat.affine, volume.affine)
    lo, hi = token_box_to_volume_index(prepared, coord)
    centres = _voxel_centres(volume)
    inside = ((centres >= lo + 1e-6) & (centres <= hi - 1e-6)).all(axis=-1)
    near = ((centres >= lo - 0.5) & (centres <= hi + 0.5)).all(axis=-1)
    lit = heat.array > 0
    assert inside.sum() > 0 and lit.sum() < lit.size
    assert lit[tuple(np.asarray(ijk, dtype=int)[::-1])], f"{name}: the chosen voxel is not lit"
    assert (lit <= near).all(), f"{name}: heat outside the token's box"
    assert (inside <= lit).all(), f"{name}: voxels inside the token's box left dark"
    assert heat.array.max() == pytest.approx(1.0) and heat.metadata["scale"] == 2.0


def test_general_sampling_agrees_with_the_separable_lookup(case):
    _, _, prepared = case
    blocks = np.random.default_rng(3).random(prepared.grid.blocks)
    np.testing.assert_array_equal(
        render_series_map(prepared, blocks), render_series_map(prepared, blocks, general=True)
    )


def test_duplicates_add_and_negative_evidence_is_not_drawn(case):
    _, volume, prepared = case
    centre = _token_at(prepared, (np.asarray(volume.shape_ijk) - 1) / 2)
    other = _token_at(prepared, np.zeros(3))
    coords = np.stack([centre, centre, other])
    blocks = block_scores(prepared, coords, np.array([1.0, 2.0, -5.0]))
    assert blocks[tuple(centre // prepared.grid.patch_shape)] == 3.0
    heat = heatmap_volume(prepared, coords, np.array([1.0, 2.0, -5.0]), scale=3.0)
    assert heat.array.min() == 0.0 and heat.array.max() == pytest.approx(1.0)


def test_regions_are_ranked_and_suppressed_within_20_mm(case):
    name, volume, prepared = case
    n = np.asarray(volume.shape_ijk) - 1
    coords = np.stack(
        [
            _token_at(prepared, n * 0.5),
            _token_at(prepared, n * 0.5 + [3, 0, 0]),
            _token_at(prepared, n * [0.05, 0.05, 0.5]),
        ]
    )
    coords = np.unique(coords, axis=0)
    centres = token_centers_lps(prepared, coords)
    scores = np.arange(len(coords), 0, -1, dtype=np.float64)
    regions = top_regions([(name, prepared, coords, scores)])
    assert 1 < len(regions) < len(coords)  # one candidate lies within 20 mm of the best
    assert [r.score for r in regions] == sorted((r.score for r in regions), reverse=True)
    assert regions[0].score == scores[0] and regions[0].relative == 1.0
    np.testing.assert_allclose(regions[0].center_lps, centres[0])
    taken = np.array([r.center_lps for r in regions])
    for i, c in enumerate(centres):
        distances = np.linalg.norm(taken - c, axis=1)
        assert distances.min() < 20.0 or i == 0  # every candidate is a region or near one
    pairwise = np.linalg.norm(taken[:, None] - taken[None], axis=-1)
    assert (pairwise[~np.eye(len(taken), dtype=bool)] >= 20.0).all()
    assert all(e > 0 for e in regions[0].extent_mm)


def test_lesion_distance_uses_the_mask_when_given(tmp_path):
    from prima_core.commands.explain import write_nifti
    from prima_core.io.volume import Volume

    mask = np.zeros((20, 20, 20), dtype=np.uint8)
    mask[8:12, 8:12, 8:12] = 1
    affine = np.diag([1.5, 1.5, 1.5, 1.0])
    affine[:3, 3] = (-15.0, -15.0, -15.0)
    path = tmp_path / "masks" / "lesion.nii.gz"
    path.parent.mkdir()
    write_nifti(Volume(mask, affine), path)
    near_edge = np.array([-15.0 + 1.5 * 12 + 4.0, 0.0, 0.0])  # 4 mm right of the last mask voxel (x = 1.5)
    lesion = {"center_lps": [30.0, 30.0, 30.0], "mask": "masks/lesion.nii.gz"}
    assert lesion_distance_mm(near_edge, lesion, base_dir=tmp_path) == pytest.approx(
        np.linalg.norm(near_edge - [1.5, 0.0, 0.0]), abs=1e-6
    )
    assert lesion_distance_mm(near_edge, [30.0, 30.0, 30.0]) > 40.0
