"""Converting the parity fixture (official layout, tiny random weights) into a bundle."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import torch

from prima_core.cli import main
from prima_core.model.bundle import load_bundle
from prima_core.model.convert import convert_official
from prima_core.model.official_heads import read_official
from prima_core.model.safe_unpickle import InertObject, load_inert
from prima_core.model.safetensors_stream import read_shapes, read_tensors

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "prima_parity"


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("convert") / "fixture_bundle"
    return convert_official(
        full_model=FIXTURES / "full_model.pt",
        tokenizer_config=FIXTURES / "tokenizer_config.json",
        out_dir=out,
    )


def test_fixture_tree_is_read_inert():
    checkpoint = load_inert(FIXTURES / "full_model.pt")
    top = checkpoint.root
    assert isinstance(top, InertObject) and top.global_name == "complete_visual_model.FullMRIModel"
    visual = top.member("clipvisualmodel")
    assert visual is top.member("clipmodel").member("visual_model")
    cls = visual.member("innerViT").member("cls_token")
    assert cls.device.type == "meta" and tuple(cls.shape) == (1, 3, 292)
    assert checkpoint.read_tensor(cls).abs().sum() > 0


def test_fixture_layout(bundle_dir):
    manifest = json.loads((bundle_dir / "manifest.json").read_text())
    expected = json.loads((FIXTURES / "expected_study_a.json").read_text())
    assert manifest["kind"] == "official" and manifest["format_version"] == 1
    assert [d["name"] for d in manifest["diagnoses"]] == list(expected["diagnosis"])
    assert [r["name"] for r in manifest["referrals"]] == list(expected["referral"])
    assert manifest["priority_levels"] == list(expected["priority"])
    summary = manifest["architecture"]["summary"]
    assert summary["model_width"] == 292 and summary["token_width"] == 289
    assert summary["embedding_dim"] == len(expected["clip_emb"][0]) == 64
    # 52 names share 26 head objects in the fixture; each is stored once.
    assert len({d["head"] for d in manifest["diagnoses"]}) == 26
    shapes = read_shapes(bundle_dir / "model.safetensors")
    assert not any(name.startswith(("visual.patdis", "text", "visual.outer.mlp_head")) for name in shapes)
    assert shapes["visual.series_names.proj.weight"][1] == (292, 256)


def test_fixture_sources_are_recorded(bundle_dir):
    manifest = json.loads((bundle_dir / "manifest.json").read_text())
    by_name = {s["file"]: s for s in manifest["sources"]}
    data = (FIXTURES / "full_model.pt").read_bytes()
    assert by_name["full_model.pt"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert by_name["full_model.pt"]["size"] == len(data)
    assert {"tokenizer.pth", "tokenizer_config.json"} <= set(by_name)


def test_fixture_weights_are_copied_exactly(bundle_dir):
    checkpoint = load_inert(FIXTURES / "full_model.pt")
    official = read_official(checkpoint)
    stored = read_tensors(bundle_dir / "model.safetensors", list(official.tensors))
    for name, meta in official.tensors.items():
        assert torch.equal(stored[name], checkpoint.read_tensor(meta)), name
    tokenizer = read_tensors(bundle_dir / "tokenizer.safetensors", ["encoder.blocks.0.conv.weight"])
    original = torch.load(FIXTURES / "tokenizer.pth", weights_only=True)
    assert torch.equal(tokenizer["encoder.blocks.0.conv.weight"], original["encoder.blocks.0.conv.weight"])


def test_fixture_thresholds_and_columns(bundle_dir):
    checkpoint = load_inert(FIXTURES / "full_model.pt")
    table = checkpoint.root.member("diagnosisheads")
    manifest = json.loads((bundle_dir / "manifest.json").read_text())
    for entry in manifest["diagnoses"]:
        head, column = table[entry["name"]]
        assert entry["column"] == column
        assert entry["threshold"] == pytest.approx(head.member("thresh"))


def test_bundle_loads_and_predicts(bundle_dir):
    bundle = load_bundle(bundle_dir, device="cpu")
    assert bundle.kind == "official" and bundle.token_width == 289 and bundle.model_width == 292
    tokens = [torch.randn(4, 289), torch.randn(9, 289)]
    out = bundle.predict_tokens(tokens, ["AX_T1", "SAG_T2"], "MRI BRAIN WO AND W CONTRAST")
    assert len(out.diagnosis) == 52 and len(out.referral) == 5 and len(out.study_embedding) == 64


def test_cli_convert_writes_bundle_with_progress(tmp_path, capsys):
    out = tmp_path / "mine"
    code = main(
        [
            "convert",
            "--model",
            str(FIXTURES / "full_model.pt"),
            "--tokenizer-config",
            str(FIXTURES / "tokenizer_config.json"),
            "--out",
            str(out),
            "--name",
            "fixture",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert captured.out.strip() == str(out)
    assert "[write" in captured.err and "nothing in it is run" in captured.err
    assert json.loads((out / "manifest.json").read_text())["name"] == "fixture"
