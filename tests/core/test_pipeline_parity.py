"""The heart of issue 3: from the DICOM folders and the two official-format checkpoint files alone,
reproduce what the public Prima pipeline computed, within 1e-3, with the same tokens."""

from __future__ import annotations

import numpy as np
import pytest

from prima_core.io import open_studies
from prima_core.model.bundle import load_bundle
from prima_core.model.convert import convert_official
from prima_core.pipeline.predict import predict_study
from tests.core.test_pipeline_support import FIXTURES, STUDIES, expected

TOLERANCE = 1e-3


@pytest.fixture(scope="module")
def fixture_bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "prima_fixture"
    convert_official(
        full_model=FIXTURES / "full_model.pt",
        tokenizer_config=FIXTURES / "tokenizer_config.json",
        out_dir=out,
    )
    return load_bundle(out, device="cpu", precision="fp32")


@pytest.mark.parametrize("study", ["a", "b"])
def test_predict_reproduces_the_release(study, fixture_bundle, tmp_path):
    want = expected(study)
    prediction = predict_study(
        open_studies(STUDIES / f"study_{study}").studies[0], fixture_bundle, cache=False
    )
    for group in ("diagnosis", "referral", "priority"):
        got = getattr(prediction, group)
        assert set(got) == set(want[group])
        worst = max(abs(got[name] - values[0]) for name, values in want[group].items())
        assert worst < TOLERANCE, f"{group}: off by {worst}"
    embedding = np.asarray(prediction.study_embedding).ravel()
    reference = np.asarray(want["clip_emb"]).ravel()
    assert embedding.shape == reference.shape
    assert np.abs(embedding - reference).max() < TOLERANCE

    inter = want["_intermediate"]
    assert prediction.series_names() == inter["series_names"]
    assert [s.kept_coords.tolist() for s in prediction.series] == inter["kept_coords"]
    assert [s.tokens_total for s in prediction.series] == inter["tokens_per_series_before_filter"]
    assert [[s.percent, s.tokens_kept] for s in prediction.series] == inter["filter_calls"]


def test_results_differ_between_studies_by_more_than_the_tolerance(fixture_bundle):
    # Guards the meaning of the parity test: a preprocessing slip cannot hide under 1e-3.
    a, b = expected("a"), expected("b")
    spread = max(abs(a["diagnosis"][k][0] - b["diagnosis"][k][0]) for k in a["diagnosis"])
    assert spread > 100 * TOLERANCE
