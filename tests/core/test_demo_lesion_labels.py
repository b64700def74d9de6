"""Per-patch lesion labels of the demo training records: on the lesion, and only for its finding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from prima_core.demo.dataset import read_series_records
from prima_core.demo.dataset_lesions import lesion_points
from prima_core.demo.dataset_records import StudyRecord, load_record, save_record
from prima_core.demo.dataset_tokens import _token_lesions
from prima_core.demo.study import generate_demo_study
from prima_core.demo.train_targets import diagnosis_names

STROKE = "vascular_ischemic_large_vessel_stroke"


@pytest.mark.slow
def test_patches_touching_the_stroke_mask_are_the_bright_dwi_patches(tmp_path):
    out = tmp_path / "study"
    truth = generate_demo_study(seed=12, findings=[STROKE], out_dir=out, series=("AX DWI B1000",))
    points = lesion_points(truth.lesions, tmp_path / "study")
    assert set(points) == {STROKE}
    _, records = read_series_records(tmp_path / "study", lesions=points)
    (series,) = records
    column = diagnosis_names().index(STROKE)
    labels = series.lesions
    assert labels.shape == (len(series.raw_patches), len(diagnosis_names()))
    others = np.delete(labels, column, axis=1)
    assert not others.any()  # only the inserted finding is marked
    marked = labels[:, column]
    assert 3 <= marked.sum() < 0.2 * len(marked)
    means = series.scaled_patches().reshape(len(marked), -1).mean(axis=1)
    # the stroke is DWI-bright: its patches are far brighter on average than the other kept patches
    # (all of them head: the air stays below the foreground threshold), and the brightest are on it
    assert means[marked].mean() > 2 * means[~marked].mean()
    assert marked[np.argsort(-means)[:5]].sum() >= 3

    record = StudyRecord(
        seed=12, labels=[STROKE], requested=[STROKE], description="MRI BRAIN", series=records
    )
    loaded = load_record(save_record(record, tmp_path / "r.npz")).series[0]
    np.testing.assert_array_equal(loaded.lesions, labels)
    # expanded to the kept tokens (release order, duplicates included) for the token loss
    per_token = _token_lesions(loaded)
    assert isinstance(per_token, torch.Tensor) and per_token.shape[0] == len(loaded.selection.kept)
    unique = np.unique(loaded.selection.kept)
    first = int(loaded.selection.kept[0])
    assert bool(per_token[0, column]) == bool(labels[np.searchsorted(unique, first), column])
