"""End-to-end parity with the public Prima pipeline on the fixture studies (1e-3 absolute).

The fixture checkpoint is converted with ``convert_official``; the pipeline turns each DICOM
study into token vectors; ``predict_tokens`` must then give every diagnosis, referral and
priority value and every study-embedding value that the released code computed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prima_core.io import open_studies
from prima_core.model import ModelBundle, convert_official, load_bundle
from prima_core.pipeline.predict import predict_study

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "prima_parity"
TOLERANCE = 1e-3


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> ModelBundle:
    out = convert_official(
        full_model=FIXTURES / "full_model.pt",
        tokenizer_config=FIXTURES / "tokenizer_config.json",
        out_dir=tmp_path_factory.mktemp("parity") / "bundle",
    )
    return load_bundle(out, device="cpu", precision="fp32")


def _study(letter: str):
    studies = open_studies(FIXTURES / "studies" / f"study_{letter}").studies
    assert len(studies) == 1
    return studies[0]


@pytest.mark.parametrize("letter", ["a", "b"])
def test_predict_tokens_matches_released_pipeline(bundle, letter):
    expected = json.loads((FIXTURES / f"expected_study_{letter}.json").read_text())
    prediction = predict_study(_study(letter), bundle, cache=False)
    series = prediction.series
    assert [s.name for s in series] == expected["_intermediate"]["series_names"]
    assert [[s.tokens_kept for s in series]] == expected["_intermediate"]["lenss"]
    longest = max(s.tokens_kept for s in series)
    assert expected["_intermediate"]["visual_shapes"] == [[1, longest, 289]] * len(series)

    output = bundle.predict_tokens(
        [s.tokens.vectors for s in series], [s.name for s in series], prediction.study_description
    )
    for key in ("diagnosis", "referral", "priority"):
        got = getattr(output, key)
        assert list(got) == list(expected[key])
        for name, (value,) in expected[key].items():
            assert got[name] == pytest.approx(value, abs=TOLERANCE), (key, name)
    (embedding,) = expected["clip_emb"]
    assert len(output.study_embedding) == len(embedding)
    assert max(abs(a - b) for a, b in zip(output.study_embedding, embedding, strict=True)) < TOLERANCE
    assert output.diagnosis == prediction.diagnosis
