"""The demo bundle's averaged heads: K refits held exactly in one wider Prima head."""

from __future__ import annotations

import copy

import pytest
import torch

from prima_core.demo.train_config import DemoTrainConfig
from prima_core.demo.train_head_ensemble import (
    ENSEMBLE_SEED_OFFSET,
    HEAD_IDS,
    average_heads,
    ensemble_heads,
    wide_config,
)
from prima_core.demo.train_heads import refit_heads
from prima_core.demo.train_losses import Targets
from prima_core.demo.train_model import build_demo_model, head_logits
from prima_core.demo.train_targets import diagnosis_names
from prima_core.model.heads import build_head
from tests.core.test_demo_training_aux import _studies


def test_the_wide_head_computes_the_mean_of_its_parts():
    torch.manual_seed(0)
    heads = [build_head([10, 6, 4, 3]) for _ in range(3)]
    wide = build_head([10, 18, 12, 3])
    wide.load_state_dict(average_heads(heads))
    x = torch.randn(32, 10) * 3
    with torch.no_grad():
        expected = torch.stack([h(x) for h in heads]).mean(0)
        torch.testing.assert_close(wide(x), expected, rtol=1e-5, atol=1e-5)
        one = build_head([10, 6, 4, 3])
        one.load_state_dict(average_heads(heads[:1]))
        torch.testing.assert_close(one(x), heads[0](x))
    with pytest.raises(ValueError, match="no heads"):
        average_heads([])
    with pytest.raises(ValueError, match="three-layer"):
        average_heads([build_head([10, 3])])


def test_ensemble_heads_averages_k_seeded_refits_and_keeps_the_trunk():
    config = DemoTrainConfig.tiny().vit
    studies = _studies(12, lesion_column=diagnosis_names().index("tumor_adult_high_grade_glioma"))
    torch.manual_seed(0)
    model = build_demo_model(config)
    before = copy.deepcopy(model.state_dict())
    embeddings = torch.randn(len(studies), model.heads.dims[HEAD_IDS[0]][0])
    targets = Targets.of(studies)
    wide = ensemble_heads(model, embeddings, targets, config, seed=7, k=3)

    for name, value in model.state_dict().items():  # the trained model is left as it was
        torch.testing.assert_close(value, before[name])
    assert wide.heads.dims[HEAD_IDS[0]][1:3] == [3 * w for w in config.head_hidden]
    assert build_demo_model(wide_config(config, 3)).heads.dims == wide.heads.dims
    for name, value in wide.state_dict().items():
        if not name.startswith("heads."):
            torch.testing.assert_close(value, before[name])

    refits = []
    for i in range(3):  # the same refits, one by one
        single = copy.deepcopy(model)
        refit_heads(single, embeddings, targets, config, seed=7 + ENSEMBLE_SEED_OFFSET + i)
        refits.append(single)
    with torch.inference_mode():
        got = head_logits(wide, embeddings)
        parts = [head_logits(m, embeddings) for m in refits]
    for head_id in HEAD_IDS:
        expected = torch.stack([p[head_id] for p in parts]).mean(0)
        torch.testing.assert_close(got[head_id], expected, rtol=1e-4, atol=1e-4)
        assert not torch.allclose(parts[0][head_id], parts[1][head_id])  # the seeds differ
    with pytest.raises(ValueError, match="at least one"):
        ensemble_heads(model, embeddings, targets, config, seed=7, k=0)
