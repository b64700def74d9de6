"""Variants of the official layout convert by structure and give the released model's outputs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from prima_core.model.bundle import load_bundle
from prima_core.model.convert import convert_official
from tests.core import official_fakes as fakes

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "prima_parity"
NAMES = ["AX_T1_SE", "COR_T2_FLAIR-COR_FLAIR-Protocol", "sag t2 +c (post)"]
DESCRIPTION = "MRI BRAIN WO AND W CONTRAST"

VARIANTS = {
    "release_like": fakes.Variant(),
    "main_module_wrapped_width289_3level": fakes.Variant(
        inner_dim=289,
        wrap_series_encoder=False,
        text_model=False,
        main_module=True,
        wrap_top=True,
        wrap_clip=True,
        keep_clipvisualmodel=False,
        priority_levels=3,
        outer_heads=(1, 32),  # one head as wide as the model: no output projection
        wrap_heads=(1, 2),
        distinct_diagnosis_heads=2,
        tensor_thresholds=True,
        seed=3,
    ),
}


def _convert(variant: fakes.Variant, tmp_path: Path) -> tuple[torch.nn.Module, Path]:
    model = fakes.build(variant)
    path = fakes.save(model, tmp_path / "full_model.pt", main_module=variant.main_module)
    bundle = convert_official(
        full_model=path, tokenizer_config=FIXTURES / "tokenizer_config.json", out_dir=tmp_path / "bundle"
    )
    return model, bundle


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_converts_and_matches_direct_computation(name, tmp_path):
    variant = VARIANTS[name]
    model, bundle_dir = _convert(variant, tmp_path)
    bundle = load_bundle(bundle_dir, device="cpu")
    generator = torch.Generator().manual_seed(7)
    tokens = [torch.randn(n, 289, generator=generator) for n in (7, 3, 12)]

    got = bundle.predict_tokens(tokens, NAMES, DESCRIPTION)
    want = fakes.reference_outputs(model, tokens, NAMES, DESCRIPTION)

    assert torch.allclose(torch.tensor(got.study_embedding), want["clip_emb"], atol=1e-5)
    for key in ("diagnosis", "referral", "priority"):
        assert getattr(got, key).keys() == want[key].keys()
        for label, value in want[key].items():
            assert getattr(got, key)[label] == pytest.approx(value, abs=1e-5), (key, label)


def test_variant_manifest_records_layout(tmp_path):
    variant = VARIANTS["main_module_wrapped_width289_3level"]
    _, bundle_dir = _convert(variant, tmp_path)
    bundle = load_bundle(bundle_dir, device="cpu")
    manifest = bundle.manifest
    assert manifest["priority_levels"] == ["none", "low", "high"]
    assert manifest["architecture"]["summary"]["model_width"] == 289
    visual = manifest["architecture"]["model"]["visual"]
    assert visual["outer"]["transformer"]["project_out"] is False
    heads = {d["head"] for d in manifest["diagnoses"]}
    assert len(heads) == variant.distinct_diagnosis_heads  # shared heads are stored once
    assert [d["column"] for d in manifest["diagnoses"]] == list(range(variant.diagnoses))
