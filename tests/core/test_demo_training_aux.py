"""Auxiliary training pieces of the demo recipe: intensity statistics, head refit, attention loss."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from prima_core.demo.dataset_records import SeriesRecord
from prima_core.demo.dataset_stats import SERIES_TYPES, STAT_BINS, patch_statistics, series_type
from prima_core.demo.dataset_tokens import TokenizedStudy
from prima_core.demo.train_config import DemoTrainConfig
from prima_core.demo.train_heads import (
    _fold_standardization,
    check_head_widths,
    linear_as_head,
    refit_heads,
    study_embeddings,
)
from prima_core.demo.train_losses import AuxiliaryProbes, DemoLoss, Targets, forward, rank_loss
from prima_core.demo.train_model import DIAGNOSIS_HEAD, build_demo_model, head_logits
from prima_core.demo.train_targets import diagnosis_names
from prima_core.demo.train_vit import WeightAverage
from prima_core.model.heads import build_head
from prima_core.pipeline.grid import token_grid
from prima_core.pipeline.selection import Selection


def test_series_type_reads_the_sequence_after_the_plane():
    assert series_type("COR_T1_POST") == SERIES_TYPES.index("T1_POST")
    assert series_type("AX_T1") == SERIES_TYPES.index("T1")
    assert series_type("SAG_DWI_B1000") == SERIES_TYPES.index("DWI_B1000")
    assert series_type("T1_MPRAGE") == -1 and series_type("localizer") == -1


def test_patch_statistics_bins_and_histogram_agree():
    grid = token_grid((8, 256, 256), acquisition_axis=0)
    raw = np.zeros((2, 4, 32, 32), dtype=np.float32)
    raw[0] = 1000.0  # uniform patch at the series' maximum: every statistic in the top bin
    raw[1, :, :16] = 250.0  # half the patch at a quarter of it: mean 1/8, max 1/4, p90 1/4
    kept = np.array([3, 1, 3], dtype=np.int64)  # release order with a duplicate; unique = [1, 3]
    series = SeriesRecord.from_raw(
        name="AX_T1",
        grid=grid,
        selection=Selection(kept, 5, [(5, 3)], grid.n_patches),
        raw_patches=raw,
        peak=1000.0,
    )
    bins, hist = patch_statistics(series)
    # unique patch numbers ascending: patch 1 is raw[0], patch 3 is raw[1]
    top, quarter = STAT_BINS - 1, int(np.floor(0.25 * STAT_BINS))
    np.testing.assert_array_equal(bins[0].numpy(), [int(np.floor(STAT_BINS / 8)), quarter, quarter])
    np.testing.assert_array_equal(bins[1].numpy(), [top, top, top])
    np.testing.assert_array_equal(bins[2].numpy(), bins[0].numpy())
    h = hist.view(3, STAT_BINS)
    torch.testing.assert_close(h.sum(1), torch.ones(3))
    assert abs(float(h[1, top]) - 1 / 3) < 1e-6 and abs(float(h[1, quarter]) - 2 / 3) < 1e-6


def test_folding_the_standardization_keeps_the_head_output():
    torch.manual_seed(0)
    head = build_head([6, 5, 3])
    x = torch.randn(10, 6) * 4 + 2
    mean, std = x.mean(0), x.std(0)
    expected = head((x - mean) / std)
    _fold_standardization(head, mean, std)
    torch.testing.assert_close(head(x), expected, atol=1e-5, rtol=1e-5)


def _studies(n: int, *, lesion_column: int) -> list[TokenizedStudy]:
    """Synthetic token studies whose first finding shows as bright tokens (a learnable signal)."""
    rng = np.random.default_rng(0)
    names = diagnosis_names()
    out = []
    for i in range(n):
        positive = i % 2 == 0
        vectors, lesions, bins = [], [], []
        for _ in range(2):
            v = torch.from_numpy(rng.normal(size=(12, 289)).astype(np.float32))
            lesion = torch.zeros(12, len(names), dtype=torch.bool)
            if positive:
                v[:3, :256] += 3.0
                lesion[:3, lesion_column] = True
            vectors.append(v)
            lesions.append(lesion)
            bins.append(torch.zeros(12, 3, dtype=torch.long))
        out.append(
            TokenizedStudy(
                seed=i,
                labels=[names[lesion_column]] if positive else [],
                description="MRI BRAIN",
                series_names=["AX_T1", "AX_FLAIR"],
                vectors=vectors,
                lesions=lesions,
                bins=bins,
                histograms=torch.full((2, 3 * STAT_BINS), 1.0 / STAT_BINS),
            )
        )
    return out


@pytest.mark.parametrize("fit", ["linear", "mlp"])
def test_refit_heads_separates_what_the_embeddings_carry(fit):
    config = replace(DemoTrainConfig.tiny().vit, head_fit=fit, head_l2=0.01)
    column = diagnosis_names().index("tumor_adult_high_grade_glioma")
    studies = _studies(16, lesion_column=column)
    torch.manual_seed(0)
    model = build_demo_model(config)
    embeddings = study_embeddings(model, studies)
    refit_heads(model, embeddings, Targets.of(studies), config, seed=0)
    with torch.inference_mode():
        scores = head_logits(model, embeddings)[DIAGNOSIS_HEAD][:, column]
    positives = scores[0::2]
    negatives = scores[1::2]
    assert float(positives.min()) > float(negatives.max())  # training studies, fitted exactly


def test_a_linear_map_written_into_prima_s_head_computes_exactly_that_map():
    torch.manual_seed(3)
    weight, bias = torch.randn(5, 12), torch.randn(5)
    head = linear_as_head(weight, bias, [12, 10, 16, 5])
    assert [type(m).__name__ for m in head] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    x = torch.randn(64, 12) * 4
    torch.testing.assert_close(head(x), x @ weight.T + bias, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="does not fit"):
        linear_as_head(weight, bias, [12, 8, 16, 5])  # 8 < 2 x 5 outputs


def test_linear_head_fit_is_the_l2_logistic_regression_of_the_embeddings():
    sklearn = pytest.importorskip("sklearn.linear_model")
    config = replace(DemoTrainConfig.tiny().vit, head_fit="linear", head_l2=0.5)
    rng = np.random.default_rng(1)
    n, d = 60, 32
    column = diagnosis_names().index("tumor_adult_high_grade_glioma")
    targets = Targets.of(_studies(n, lesion_column=column))  # only their labels are used here
    truth = targets.findings[:, column].numpy()
    x = rng.normal(size=(n, d)).astype(np.float32)
    x[:, 0] += 1.5 * truth  # one informative feature among noise
    torch.manual_seed(0)
    model = build_demo_model(replace(config, series_dim=4, outer_cls=8))  # embedding 4 x 8 = 32 wide
    assert model.heads.dims[DIAGNOSIS_HEAD][0] == d
    refit_heads(model, torch.from_numpy(x), targets, config, seed=0)
    with torch.inference_mode():
        ours = head_logits(model, torch.from_numpy(x))[DIAGNOSIS_HEAD][:, column].numpy()
    z = (x - x.mean(0)) / x.std(0, ddof=1)
    reference = sklearn.LogisticRegression(C=1.0 / (config.head_l2 * n), class_weight="balanced", tol=1e-10)
    reference.fit(z, truth)
    np.testing.assert_allclose(ours, reference.decision_function(z), rtol=2e-3, atol=2e-3)


def test_a_head_too_narrow_for_the_linear_fit_is_refused_before_training():
    config = replace(DemoTrainConfig.tiny().vit, head_fit="linear", head_hidden=(16, 8))
    with pytest.raises(ValueError, match="at least 28 units"):
        check_head_widths(build_demo_model(config), config)
    check_head_widths(build_demo_model(replace(config, head_fit="mlp")), replace(config, head_fit="mlp"))


def test_every_auxiliary_term_is_finite_and_the_attention_term_reads_the_right_cls():
    config = replace(DemoTrainConfig.tiny().vit, lesion_attention_weight=0.5)
    column = diagnosis_names().index("tumor_adult_high_grade_glioma")
    studies = _studies(4, lesion_column=column)
    torch.manual_seed(0)
    model = build_demo_model(config)
    probes = AuxiliaryProbes(config.width, config.inner_depth, config.series_dim, len(diagnosis_names()))
    loss_fn = DemoLoss(studies, config, probes)
    loss = loss_fn(model, studies, Targets.of(studies))
    loss.backward()
    assert set(loss_fn.parts) == {
        "study",
        "token",
        "bins",
        "series",
        "histogram",
        "type",
        "outer",
        "lesion_attention",
    }
    assert all(np.isfinite(v) for v in loss_fn.parts.values())
    assert model.visual.outer.cls_token.grad is not None
    # a study ViT whose cls c puts all weight on the series of type c gives a zero attention term
    out = forward(model, studies[:1], attention=True)
    weights = torch.zeros_like(out.outer_attention[0])
    offset = model.visual.outer.cls_count + 1
    for j, name in enumerate(studies[0].series_names):
        weights[0, :, series_type(name), offset + j] = 1.0
    assert float(loss_fn.outer_attention_loss(weights, studies[:1], offset)) < 1e-5


def test_lesion_attention_term_is_zero_when_the_last_cls_looks_only_at_the_lesion():
    config = DemoTrainConfig.tiny().vit
    column = diagnosis_names().index("tumor_adult_high_grade_glioma")
    studies = _studies(2, lesion_column=column)  # study 0: tokens 0-2 of both series are lesion
    torch.manual_seed(0)
    model = build_demo_model(config)
    probes = AuxiliaryProbes(config.width, config.inner_depth, config.series_dim, len(diagnosis_names()))
    loss_fn = DemoLoss(studies, config, probes)
    out = forward(model, studies, attention=True)
    inner, outer = out.inner_attention[-1], out.outer_attention[-1]
    assert inner.shape[0] == 4 and outer.shape[0] == 2  # every series of the batch, every study
    offsets = (model.visual.inner.cls_count + 1, model.visual.outer.cls_count + 1)
    learned = float(loss_fn.lesion_attention_loss(inner, outer, studies, offsets).detach())
    assert learned > 0.5  # an untrained model spreads its attention
    focused_inner, focused_outer = torch.zeros_like(inner), torch.zeros_like(outer)
    q_in, q_out = model.visual.inner.cls_count - 1, model.visual.outer.cls_count - 1
    focused_inner[:2, :, q_in, offsets[0] : offsets[0] + 3] = 1.0 / 3  # study 0's two series
    focused_outer[0, :, q_out, offsets[1] : offsets[1] + 2] = 0.5
    assert float(loss_fn.lesion_attention_loss(focused_inner, focused_outer, studies, offsets)) < 1e-5
    # the same weights on other tokens: far from zero (the term reads the lesion rows, not any row)
    shifted = torch.zeros_like(inner)
    shifted[:2, :, q_in, offsets[0] + 3 : offsets[0] + 6] = 1.0 / 3
    assert float(loss_fn.lesion_attention_loss(shifted, focused_outer, studies, offsets)) > 5.0


def test_weight_average_follows_the_weights_and_leaves_integer_buffers():
    config = DemoTrainConfig.tiny().vit
    torch.manual_seed(0)
    model = build_demo_model(config)
    average = WeightAverage(model, decay=0.5)
    start = {k: v.clone() for k, v in average.values.items()}
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    average.update(model, step=10_000)  # decay 0.5: half way to the new weights
    name = next(iter(start))
    torch.testing.assert_close(average.values[name], start[name] + 0.5)
    other = build_demo_model(config)
    average.copy_to(other)
    torch.testing.assert_close(other.state_dict()[name], start[name] + 0.5)
    assert all(v.is_floating_point() for v in average.values.values())


def _forked_run(tmp_path, name: str, branches: int, cancel_after: int | None = None):
    """A tiny ViT run on the synthetic studies; returns its checkpoint (after the last epoch)."""
    from prima_core.demo.train_vit import train_vit
    from prima_core.errors import Cancelled
    from prima_core.progress import CancelToken

    config = replace(DemoTrainConfig.tiny().vit, epochs=3, branches=branches, branch_after=1)
    column = diagnosis_names().index("tumor_adult_high_grade_glioma")
    studies = _studies(8, lesion_column=column)
    checkpoint = tmp_path / f"{name}.pt"
    token = CancelToken()

    def progress(event):
        if event.stage == "vit-epoch" and round(event.fraction * 3) == cancel_after:
            token.cancel()  # the checkpoint of this epoch is written before the next step checks

    try:
        train_vit(
            studies[:6], studies[6:], config, seed=0, checkpoint=checkpoint, progress=progress, cancel=token
        )
    except Cancelled:
        train_vit(studies[:6], studies[6:], config, seed=0, checkpoint=checkpoint)  # resumes
    return torch.load(checkpoint, weights_only=True)


def test_a_forked_run_averages_branches_that_share_their_start(tmp_path):
    from prima_core.demo.train_vit import average_weights

    plain = _forked_run(tmp_path, "plain", branches=1)
    forked = _forked_run(tmp_path, "forked", branches=2)
    assert "branches" not in plain and len(forked["branches"]) == 2
    first, second = (f["model"] for f in forked["branches"])
    # branch 0 goes on exactly as the unforked run; branch 1 draws its own batches
    for k, v in plain["model"].items():
        torch.testing.assert_close(first[k], v)
    moved = [k for k, v in first.items() if v.is_floating_point() and not torch.equal(v, second[k])]
    assert len(moved) > len(first) // 2
    # the model the run carries on (and scores) is the mean of the branches
    for k, v in average_weights([first, second]).items():
        torch.testing.assert_close(forked["model"][k], v)
    # an interrupted forked run resumes every branch from its checkpoint
    resumed = _forked_run(tmp_path, "resumed", branches=2, cancel_after=2)
    for k, v in forked["model"].items():
        torch.testing.assert_close(resumed["model"][k], v)


def test_a_forked_run_takes_no_moving_average(tmp_path):
    from prima_core.demo.train_vit import train_vit

    config = replace(DemoTrainConfig.tiny().vit, branches=2, ema_decay=0.9)
    studies = _studies(4, lesion_column=0)
    with pytest.raises(ValueError, match="branches"):
        train_vit(studies, [], config, seed=0)


def test_rank_term_is_small_when_present_findings_outrank_absent_ones_and_skips_unknowns():
    findings = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    good = torch.tensor([[9.0, -9.0, -9.0], [0.0, 5.0, -5.0]])
    bad = torch.tensor([[-9.0, 9.0, -9.0], [0.0, 5.0, -5.0]])
    assert rank_loss(good, findings).item() < 1e-6  # the normal second study adds no pair
    # the present finding 18 below one absent one and level with the other:
    # (softplus(18) + softplus(0)) / 2 pairs
    assert rank_loss(bad, findings).item() == pytest.approx((18.0 + np.log(2.0)) / 2, abs=1e-5)
    known = torch.tensor([[1.0, 0.0, 1.0], [1.0, 1.0, 1.0]])  # the outranking label is unknown
    assert rank_loss(bad, findings, known).item() == pytest.approx(np.log(2.0), abs=1e-6)
    assert rank_loss(good, torch.zeros(2, 3)).item() == 0.0  # no pair at all
    logits = bad.clone().requires_grad_(True)
    rank_loss(logits, findings).backward()
    assert logits.grad[0, 0] < 0 < logits.grad[0, 1]  # raise the present one, lower the absent one
