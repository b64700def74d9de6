"""The demo-model recipe's pieces: metrics, targets, study design, records, batched forward."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from prima_core.demo.dataset import CYCLE, primary_findings, study_findings
from prima_core.demo.dataset_records import SeriesRecord, StudyRecord, load_record, save_record
from prima_core.demo.eval_metrics import rank_among, roc_auc, specificity_threshold, youden_threshold
from prima_core.demo.findings import finding_names
from prima_core.demo.train_config import DemoTrainConfig
from prima_core.demo.train_model import batched_embeddings, build_demo_model, head_logits
from prima_core.demo.train_targets import (
    PRIORITY_LEVELS,
    REFERRALS,
    diagnosis_names,
    finding_vector,
    priority_level,
    referral_vector,
)
from prima_core.pipeline.grid import token_grid
from prima_core.pipeline.selection import Selection


def _pairwise_auc(y, s):
    pos = [b for a, b in zip(y, s, strict=True) if a]
    neg = [b for a, b in zip(y, s, strict=True) if not a]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


def test_roc_auc_matches_pair_counting_with_ties():
    rng = np.random.default_rng(4)
    for _ in range(20):
        y = rng.random(30) < 0.3
        y[0], y[1] = True, False
        s = rng.integers(0, 6, size=30).astype(float)  # many ties
        assert roc_auc(y, s) == pytest.approx(_pairwise_auc(y, s))
    assert roc_auc([1, 1, 0, 0], [0.9, 0.8, 0.1, 0.2]) == 1.0
    assert roc_auc([1, 0, 1, 0], [0.1, 0.9, 0.2, 0.8]) == 0.0
    assert roc_auc([1, 1], [0.3, 0.4]) is None


def test_youden_threshold_separates_separable_classes_in_the_middle():
    y = [0, 0, 0, 1, 1]
    s = [0.1, 0.2, 0.3, 0.7, 0.9]
    cut = youden_threshold(y, s)
    assert 0.3 < cut < 0.7
    assert youden_threshold([0, 0], [1.0, 2.0]) == 0.0


def test_specificity_threshold_depends_on_the_negatives_only():
    rng = np.random.default_rng(7)
    negatives = rng.normal(0.0, 1.0, 200)
    y = np.r_[np.zeros(200), np.ones(3)]
    cut = specificity_threshold(y, np.r_[negatives, [-5.0, 0.0, 9.0]], specificity=0.9)
    assert (negatives <= cut).mean() == pytest.approx(0.9, abs=0.01)
    moved = specificity_threshold(y, np.r_[negatives, [-9.0, 4.0, 2.0]], specificity=0.9)
    assert moved == cut  # the few positives do not move it (Youden's point would)
    assert specificity_threshold([1, 1], [0.3, 0.4], specificity=0.9) == 0.0


def test_operating_point_uses_youden_only_with_enough_positives():
    from prima_core.demo.train_thresholds import MIN_POSITIVES_FOR_YOUDEN, operating_point

    rng = np.random.default_rng(3)
    negatives = rng.normal(0.0, 1.0, 60)
    few = np.r_[np.zeros(60), np.ones(4)]
    scores_few = np.r_[negatives, [-3.0, 3.0, 4.0, 5.0]]
    assert operating_point(few, scores_few) == specificity_threshold(few, scores_few, specificity=0.9)
    many = np.r_[np.zeros(60), np.ones(MIN_POSITIVES_FOR_YOUDEN)]
    scores_many = np.r_[negatives, np.linspace(1.0, 6.0, MIN_POSITIVES_FOR_YOUDEN)]
    assert operating_point(many, scores_many) == youden_threshold(many, scores_many)


def test_rank_among_ignores_excluded_labels():
    margins = {"a": 1.0, "b": 2.0, "c": 0.5}
    assert rank_among("a", margins, excluded=set()) == 2
    assert rank_among("a", margins, excluded={"b"}) == 1


def test_targets_follow_the_documented_rules():
    assert diagnosis_names() == finding_names()
    glioma = ["structural_edema", "structural_mass_effect", "tumor_adult_high_grade_glioma"]
    v = finding_vector(glioma)
    assert v.sum() == 3 and v[diagnosis_names().index("tumor_adult_high_grade_glioma")] == 1
    r = dict(zip(REFERRALS, referral_vector(glioma), strict=True))
    assert r == {"neurosurgery": 1, "neuro_oncology": 1, "stroke_neurology": 0, "neurology": 0}
    assert PRIORITY_LEVELS[priority_level(glioma)] == "medium"
    assert PRIORITY_LEVELS[priority_level([])] == "none"
    assert PRIORITY_LEVELS[priority_level(["trauma_subdural_hematoma"])] == "high"
    assert PRIORITY_LEVELS[priority_level(["vascular_ischemic_small_vessel_disease"])] == "low"


def test_study_design_cycles_every_primary_finding():
    seeds = range(3_000_000, 3_000_000 + CYCLE)
    designs = [study_findings(s) for s in seeds]
    singles = sorted(d[0] for d in designs if len(d) == 1 and d[0] in primary_findings())
    assert singles == primary_findings()
    assert sum(d == [] for d in designs) == 3
    assert study_findings(3_000_015) == study_findings(3_000_015)  # deterministic


def test_record_round_trip_is_lossless(tmp_path):
    grid = token_grid((10, 256, 256), acquisition_axis=0)
    kept = np.array([5, 3, 3, 7], dtype=np.int64)
    raw = np.random.default_rng(1).integers(0, 4000, size=(3, 4, 32, 32)).astype(np.float32)
    series = SeriesRecord.from_raw(
        name="AX_T1",
        grid=grid,
        selection=Selection(kept, 5, [(5, 4)], grid.n_patches),
        raw_patches=raw,
        peak=3999.0,
    )
    assert series.raw_patches.dtype == np.uint16
    record = StudyRecord(seed=7, labels=["x"], requested=["x"], description="MRI BRAIN", series=[series])
    loaded = load_record(save_record(record, tmp_path / "r.npz"))
    s = loaded.series[0]
    assert s.grid == grid and np.array_equal(s.selection.kept, kept) and s.selection.percent == 5
    np.testing.assert_array_equal(s.scaled_patches(), raw / np.float32(3999.0))
    assert loaded.labels == ["x"] and loaded.description == "MRI BRAIN"


def test_batched_forward_equals_the_per_study_model_api():
    torch.manual_seed(0)
    config = DemoTrainConfig.tiny().vit
    model = build_demo_model(config).eval()
    studies = [
        ([torch.randn(7, 289), torch.randn(3, 289)], ["AX_T1", "AX_FLAIR"], "MRI BRAIN WO CONTRAST"),
        ([torch.randn(5, 289)], ["SAG_T1"], "MRI BRAIN WO AND W CONTRAST"),
    ]
    with torch.inference_mode():
        batched = head_logits(model, batched_embeddings(model, *zip(*studies, strict=True)))
        for b, (tokens, names, description) in enumerate(studies):
            vectors = model.embed_series(tokens, names)
            embedding = model.study_embedding_from_series_vectors(vectors, description)
            values = model.heads_from_embedding(embedding)
            margins = torch.stack([values.diagnosis[n] for n in diagnosis_names()])
            torch.testing.assert_close(batched["diagnosis"][b], margins, atol=1e-5, rtol=1e-5)


@pytest.fixture(autouse=True)
def _one_thread():
    """One torch thread: on a shared 2-core machine two spin against other processes."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_demo_eval_keeps_the_pointing_game_of_a_smaller_run_next_to_the_auc():
    from prima_core.commands.demo_eval import merge_evaluation

    training = {"recipe": {"seed": 0}}
    auc_run = {"studies": 80, "diagnosis_auc": {"mean": 0.9}, "pointing_game": {}, "study_seeds": [3, 82]}
    point_run = {
        "studies": 20,
        "diagnosis_auc": {"mean": 0.7},
        "pointing_game": {"lime": {"hits": 3, "total": 4}},
        "pointing_radius_mm": 20.0,
        "study_seeds": [3, 22],
        "seconds": {"evaluate": 5.0},
    }
    first = merge_evaluation(training, auc_run, command="prima demo-eval --n 80 --methods none")
    both = merge_evaluation(first, point_run, command="prima demo-eval --n 20 --methods lime")
    evaluation = both["evaluation"]
    assert evaluation["studies"] == 80 and evaluation["diagnosis_auc"]["mean"] == 0.9  # the larger run's AUC
    assert evaluation["pointing_game"] == {"lime": {"hits": 3, "total": 4}}
    assert evaluation["pointing_game_run"]["study_seeds"] == [3, 22]
    assert evaluation["command"] == "prima demo-eval --n 80 --methods none"
    again = merge_evaluation(
        both, {**auc_run, "studies": 81}, command="prima demo-eval --n 81 --methods none"
    )
    assert again["evaluation"]["studies"] == 81 and again["evaluation"]["pointing_game"]["lime"]["hits"] == 3
    alone = merge_evaluation(training, point_run, command="c")["evaluation"]
    assert alone["studies"] == 20 and alone["pointing_game_run"]["command"] == "c"
    assert "evaluation" not in training  # the input is not modified


def test_pointing_game_is_also_counted_over_the_findings_the_model_found():
    from prima_core.demo.eval import StudyOutcome
    from prima_core.demo.eval_report import _pointing

    def outcome(seed, margins, hits):
        return StudyOutcome(seed, list(margins), list(margins), margins, {}, {}, pointing={"lime": hits})

    outcomes = [
        outcome(1, {"tumor_adult_meningioma": 2.5}, {"tumor_adult_meningioma": True}),
        outcome(2, {"tumor_adult_meningioma": -4.0}, {"tumor_adult_meningioma": False}),
        outcome(3, {"cyst_arachnoid_cyst": 0.7}, {"cyst_arachnoid_cyst": False}),
        outcome(4, {"cyst_arachnoid_cyst": -1.0}, {"cyst_arachnoid_cyst": True}),
        outcome(5, {"cyst_arachnoid_cyst": 3.0}, {}),  # no explanation for this study: not counted
    ]
    lime = _pointing(outcomes, ["lime"])["lime"]
    assert (lime["hits"], lime["total"], lime["rate"]) == (2, 4, 0.5)
    assert lime["per_finding"]["tumor_adult_meningioma"] == {"hits": 1, "total": 2}
    # margin > 0 only: the meningioma of study 1 (hit) and the cyst of study 3 (miss)
    assert lime["detected"] == {"hits": 1, "total": 2, "rate": 0.5}
    assert _pointing(outcomes, ["occlusion"])["occlusion"]["detected"] == {
        "hits": 0,
        "total": 0,
        "rate": None,
    }


def test_cached_phantoms_are_kept_apart_per_generator(tmp_path, monkeypatch):
    """Records, tokens, checkpoints and evaluation studies are reused by seed, so each generator
    (a hash of its sources) has its own folder: a changed generator never reuses older phantoms."""
    from prima_core.demo import train_provenance
    from prima_core.demo.train_provenance import phantom_cache

    here = phantom_cache(tmp_path)
    assert here.parent == tmp_path and here.name.startswith("phantoms-")
    assert phantom_cache(tmp_path) == here  # stable while the sources are
    monkeypatch.setattr(train_provenance, "generator_fingerprint", lambda: "0" * 64)
    assert phantom_cache(tmp_path) != here
