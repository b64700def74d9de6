"""``predict_study`` and ``prima predict``: JSON output, NIfTI input, cache, progress, cancel, errors."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest
import torch

from prima_core import DEMO_CAVEAT, RESEARCH_CAVEAT
from prima_core.cli import main
from prima_core.errors import Cancelled, UserError
from prima_core.io import Series, Study, Volume, open_studies
from prima_core.model.bundle import load_bundle
from prima_core.model.convert import convert_official
from prima_core.pipeline.cache import TokenCache, series_key
from prima_core.pipeline.predict import predict_study
from prima_core.pipeline.result import DEFAULT_STUDY_DESCRIPTION
from prima_core.progress import CancelToken
from tests.core.test_pipeline_support import FIXTURES, STUDIES, expected


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "prima_fixture"
    convert_official(
        full_model=FIXTURES / "full_model.pt",
        tokenizer_config=FIXTURES / "tokenizer_config.json",
        out_dir=out,
    )
    return out


@pytest.fixture(scope="module")
def bundle(bundle_dir):
    return load_bundle(bundle_dir, device="cpu", precision="fp32")


def _study(name="a") -> Study:
    return open_studies(STUDIES / f"study_{name}").studies[0]


def test_cli_writes_the_result_json(bundle_dir, tmp_path, capsys):
    out = tmp_path / "result.json"
    code = main(
        ["predict", str(STUDIES / "study_b"), "--model", str(bundle_dir), "--no-cache", "--out", str(out)]
    )
    assert code == 0
    result = json.loads(out.read_text())
    want = expected("b")
    assert result["diagnosis"].keys() == want["diagnosis"].keys()
    assert abs(result["priority"]["high"] - want["priority"]["high"][0]) < 1e-3
    assert [s["name"] for s in result["series"]] == ["AX_FLAIR", "SAG_T1"]
    assert [s["tokens_kept"] for s in result["series"]] == [176, 106]
    assert result["series"][1]["kept_coords"] == want["_intermediate"]["kept_coords"][1]
    assert result["model"]["kind"] == "official" and result["caveat"] == RESEARCH_CAVEAT
    assert len(result["study_embedding"]) == 64
    assert {"tokenize", "vit", "total"} <= result["timings"].keys()
    assert "[tokenize" in capsys.readouterr().err


def test_cli_runs_on_a_single_nifti(bundle_dir, tmp_path):
    volume = _study("a").series[0].load()
    ras = np.diag([-1.0, -1.0, 1.0, 1.0]) @ volume.affine
    path = tmp_path / "ax_t1.nii.gz"
    nib.save(nib.Nifti1Image(volume.array.transpose(2, 1, 0), ras), str(path))
    out = tmp_path / "nifti.json"
    assert main(["predict", str(path), "--model", str(bundle_dir), "--no-cache", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["study_description"] == DEFAULT_STUDY_DESCRIPTION
    assert result["series"][0]["kept_coords"] == expected("a")["_intermediate"]["kept_coords"][0]


def test_cli_refuses_a_missing_model_in_one_line(tmp_path, capsys):
    code = main(
        [
            "predict",
            str(STUDIES / "study_a"),
            "--model",
            str(tmp_path / "nope"),
            "--out",
            str(tmp_path / "x.json"),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no model bundle at" in err[0] and "does not exist" in err[0]


def test_second_run_reads_the_token_cache(bundle, tmp_path):
    cache = TokenCache(tmp_path / "tokens")
    first = predict_study(_study("a"), bundle, cache=cache)
    second = predict_study(_study("a"), bundle, cache=cache)
    assert [s.from_cache for s in first.series] == [False] * 3
    assert [s.from_cache for s in second.series] == [True] * 3
    assert "tokenize" not in second.timings
    assert second.diagnosis == first.diagnosis
    for a, b in zip(first.token_vectors(), second.token_vectors(), strict=True):
        assert torch.equal(a, b)


def test_cache_keys_follow_pixels_geometry_and_tokenizer(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.int16).reshape(2, 3, 4)
    base = series_key(Volume(array, np.eye(4)), tokenizer_sha256="t1", autocast="fp32")
    changed = array.copy()
    changed[0, 0, 0] += 1
    moved = np.eye(4)
    moved[0, 3] = 0.5
    assert series_key(Volume(changed, np.eye(4)), tokenizer_sha256="t1", autocast="fp32") != base
    assert series_key(Volume(array, moved), tokenizer_sha256="t1", autocast="fp32") != base
    assert series_key(Volume(array, np.eye(4)), tokenizer_sha256="t2", autocast="fp32") != base
    assert series_key(Volume(array, np.eye(4)), tokenizer_sha256="t1", autocast="bfloat16") != base


def test_damaged_cache_entry_is_recomputed(bundle, tmp_path):
    cache = TokenCache(tmp_path / "tokens")
    predict_study(_study("b"), bundle, cache=cache)
    for entry in (tmp_path / "tokens").rglob("*.safetensors"):
        entry.write_bytes(b"not a safetensors file")
    again = predict_study(_study("b"), bundle, cache=cache)
    assert [s.from_cache for s in again.series] == [False, False]


def test_progress_stages_and_cancel(bundle):
    events = []
    predict_study(_study("b"), bundle, cache=False, progress=events.append)
    stages = [e.stage for e in events]
    assert stages.index("tokenize") < stages.index("vit")
    assert events[-1].fraction == 1.0

    token = CancelToken()

    def cancel_on_first_chunk(event):
        if "tokens" in event.message:
            token.cancel()

    with pytest.raises(Cancelled):
        predict_study(_study("b"), bundle, cache=False, progress=cancel_on_first_chunk, cancel=token)


def test_a_study_without_usable_series_is_a_user_error(bundle):
    def broken():
        raise UserError("pixel data cannot be decoded")

    study = Study("1.2.3", series=[Series("1.2.3.4", "AX_T1", loader=broken)])
    with pytest.raises(UserError, match="no series of this study could be used.*AX_T1: pixel data cannot"):
        predict_study(study, bundle, cache=False)


def test_a_broken_series_is_skipped_and_reported(bundle):
    def broken():
        raise OSError("file vanished")

    study = _study("b")
    study.series.append(Series("9.9", "EXTRA", loader=broken))
    prediction = predict_study(study, bundle, cache=False, study_description="MR BRAIN W CONTRAST")
    assert prediction.series_names() == ["AX_FLAIR", "SAG_T1"]
    assert prediction.to_dict()["skipped_series"] == [{"name": "EXTRA", "reason": "file vanished"}]
    assert prediction.study_description == "MR BRAIN W CONTRAST"


def test_demo_bundle_results_carry_the_demo_caveat(bundle):
    bundle.kind = "demo"
    try:
        result = predict_study(_study("b"), bundle, cache=False).to_dict()
    finally:
        bundle.kind = "official"
    assert result["model"]["caveat"] == DEMO_CAVEAT
    assert DEMO_CAVEAT in result["caveat"] and RESEARCH_CAVEAT in result["caveat"]
    json.dumps(result)
