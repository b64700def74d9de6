"""``prima explain`` writes heat maps, regions, contributions and the explanation; pointing game."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest

from prima_core import DEMO_CAVEAT, RESEARCH_CAVEAT
from prima_core.cli import main
from prima_core.explain import explain, pointing_game
from prima_core.io import open_studies
from tests.core.test_explain_support import STUDIES, TARGET, fixture_bundle_dir, load, predict_fixture


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory):
    return fixture_bundle_dir(tmp_path_factory)


def test_cli_writes_every_file(bundle_dir, tmp_path, capsys):
    out = tmp_path / "explained"
    args = ["explain", str(STUDIES / "study_a"), "--model", str(bundle_dir), "--target", TARGET]
    assert main([*args, "--method", "gradient_x_input", "--out", str(out)]) == 0
    series = open_studies(STUDIES / "study_a").studies[0].series
    names = json.loads((out / "explanation.json").read_text())["heatmaps"]
    assert sorted(names) == sorted(f"{s.model_name}.nii.gz" for s in series)
    for s in series:
        volume = s.load()
        image = nib.load(str(out / f"{s.model_name}.nii.gz"))
        np.testing.assert_allclose(image.affine, np.diag([-1.0, -1.0, 1.0, 1.0]) @ volume.affine, atol=1e-5)
        assert image.shape == volume.shape_ijk
        data = np.asarray(image.dataobj)
        assert data.min() >= 0.0 and data.max() <= 1.0 + 1e-6
    regions = json.loads((out / "regions.json").read_text())
    assert regions and [r["score"] for r in regions] == sorted((r["score"] for r in regions), reverse=True)
    assert {"series", "center_lps", "score", "extent_mm"} <= regions[0].keys() and len(
        regions[0]["center_lps"]
    ) == 3
    contributions = json.loads((out / "series_contributions.json").read_text())
    assert sorted(contributions["contributions"]) == sorted(s.model_name for s in series)
    explanation = json.loads((out / "explanation.json").read_text())
    assert explanation["method"] == "gradient_x_input"
    assert explanation["target"] == {"kind": "diagnosis", "name": TARGET}
    assert explanation["model"]["kind"] == "official" and explanation["caveat"] == RESEARCH_CAVEAT
    assert "wrote" in capsys.readouterr().err


def test_cli_refuses_an_unknown_target_in_one_line(bundle_dir, tmp_path, capsys):
    code = main(
        [
            "explain",
            str(STUDIES / "study_a"),
            "--model",
            str(bundle_dir),
            "--target",
            "glioma??",
            "--out",
            str(tmp_path / "x"),
        ]  # fmt: skip
    )
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown target" in err[0] and TARGET in err[0]
    assert not (tmp_path / "x").exists()


def test_demo_model_explanations_carry_the_demo_caveat(bundle_dir):
    bundle = load(bundle_dir)
    bundle.kind = "demo"
    explanation = explain(predict_fixture(bundle), bundle, target=TARGET, method="attention_rollout")
    payload = explanation.to_dict()
    assert payload["model"]["caveat"] == DEMO_CAVEAT and DEMO_CAVEAT in payload["caveat"]
    assert RESEARCH_CAVEAT in payload["caveat"]
    assert explanation.heatmaps[0].metadata["caveat"] == payload["caveat"]


def test_pointing_game_on_the_top_region(bundle_dir):
    bundle = load(bundle_dir)
    explanation = explain(predict_fixture(bundle), bundle, target=TARGET, method="attention_rollout")
    top = np.asarray(explanation.regions[0].center_lps)
    assert pointing_game(explanation, [list(top + [0.0, 15.0, 0.0])])
    assert not pointing_game(explanation, [list(top + [0.0, 25.0, 0.0])])
    assert pointing_game(explanation, [list(top + [30.0, 0.0, 0.0])], radius_mm=35.0)
    assert pointing_game(explanation, [[500.0, 0.0, 0.0], {"center_lps": list(top + [5.0, 0.0, 0.0])}])
    assert not pointing_game(explanation, [])
