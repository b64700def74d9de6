"""Saving and loading bundles: our own models use the same format; loading never unpickles."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
import torch

from prima_core.model import BundleError, ModelOutput, load_bundle, save_bundle
from prima_core.model.labels import LabelRef
from prima_core.model.prima import PrimaModel
from prima_core.model.spec import PRIORITY_HEAD, ModelSpec
from prima_core.model.tokenizer import build_vqvae
from tests.core.test_model_vit import random_visual, small_visual_spec

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "prima_parity"
TOKENIZER_CONFIG = {
    "spatial_dims": 3,
    "in_channels": 1,
    "out_channels": 1,
    "num_res_layers": 1,
    "downsample_parameters": [[2, 4, 1, 1], [2, 2, 1, 0]],
    "upsample_parameters": [[2, 4, 1, 1, 0], [2, 2, 1, 0, 0]],
    "channels": [4, 4],
    "num_res_channels": [4, 4],
    "num_embeddings": 8,
    "embedding_dim": 2,
}
DESCRIPTION = "Demo model trained on synthetic phantoms; not Prima, not for clinical decisions."


def small_model(seed: int = 0) -> PrimaModel:
    visual = small_visual_spec()
    emb = visual.embedding_dim
    spec = ModelSpec(
        visual=visual, heads={"d00": [emb, 16, 8, 3], "d01": [emb, 16, 8, 2], PRIORITY_HEAD: [emb, 16, 8, 4]}
    )
    diagnoses = [
        LabelRef("tumor", "d00", 0, 0.5),
        LabelRef("stroke", "d00", 2, -0.25),
        LabelRef("cyst", "d01", 1, 0.0),
    ]
    referrals = [LabelRef("neurosurgery", "d01", 0, 0.1)]
    torch.manual_seed(seed)
    model = PrimaModel(
        spec, diagnoses=diagnoses, referrals=referrals, priority_levels=["none", "low", "medium", "high"]
    )
    model.visual = random_visual(visual, seed)
    return model.eval()


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[PrimaModel, Path]:
    model = small_model()
    vqvae = build_vqvae(TOKENIZER_CONFIG)
    out = save_bundle(
        tmp_path_factory.mktemp("bundle") / "demo",
        model=model,
        tokenizer_config=TOKENIZER_CONFIG,
        tokenizer_state=vqvae.state_dict(),
        kind="demo",
        name="demo",
        description=DESCRIPTION,
    )
    return model, out


def _study() -> tuple[list[torch.Tensor], list[str], str]:
    generator = torch.Generator().manual_seed(3)
    return [torch.randn(n, 289, generator=generator) for n in (5, 11)], ["AX_T1", "COR_FLAIR"], "MRI BRAIN"


def _expected(model: PrimaModel) -> dict[str, float]:
    tokens, names, description = _study()
    with torch.no_grad():
        emb = model.study_embedding_from_series_vectors(model.embed_series(tokens, names), description)
        values = model.heads_from_embedding(emb)
    return {
        **{k: float(v) for k, v in values.diagnosis.items()},
        **{k: float(v) for k, v in values.priority.items()},
    }


def test_demo_bundle_round_trip(saved):
    model, path = saved
    bundle = load_bundle(path, device="cpu")
    assert bundle.kind == "demo" and bundle.manifest["description"] == DESCRIPTION
    out = bundle.predict_tokens(*_study())
    assert isinstance(out, ModelOutput)
    want = _expected(model)
    for name, value in {**out.diagnosis, **out.priority}.items():
        assert value == pytest.approx(want[name], abs=1e-5)
    assert set(out.referral) == {"neurosurgery"} and len(out.study_embedding) == 48


def test_heads_read_on_demand_give_the_same_values(saved):
    _, path = saved
    resident = load_bundle(path, device="cpu")
    lazy = load_bundle(path, device="cpu", head_budget_bytes=0)
    assert resident.model.heads.is_resident and not lazy.model.heads.is_resident
    a, b = resident.predict_tokens(*_study()), lazy.predict_tokens(*_study())
    assert a.diagnosis == b.diagnosis and a.priority == b.priority
    assert len(lazy.model.heads._cache) <= 1


def test_gradients_flow_from_tokens_to_one_margin(saved):
    _, path = saved
    bundle = load_bundle(path, device="cpu", head_budget_bytes=0)
    tokens, names, description = _study()
    tokens = [t.clone().requires_grad_(True) for t in tokens]
    emb = bundle.study_embedding_from_series_vectors(bundle.embed_series(tokens, names), description)
    margin = bundle.heads_from_embedding(emb, diagnoses=["cyst"], referrals=[], priority=False).diagnosis[
        "cyst"
    ]
    margin.backward()
    assert all(t.grad is not None and t.grad.abs().sum() > 0 for t in tokens)


def test_loading_never_unpickles(saved, monkeypatch):
    _, path = saved

    def forbidden(*args, **kwargs):
        raise AssertionError("a bundle load unpickled something")

    monkeypatch.setattr(torch, "load", forbidden)
    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "Unpickler", forbidden)
    load_bundle(path, device="cpu")


def _copy_with_manifest(path: Path, tmp_path: Path, edit) -> Path:
    copy = tmp_path / "copy"
    copy.mkdir(parents=True)
    for f in path.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    manifest = json.loads((copy / "manifest.json").read_text())
    edit(manifest)
    (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


def test_shape_mismatch_with_manifest_is_a_clear_error(saved, tmp_path):
    _, path = saved

    def widen(manifest):
        manifest["architecture"]["model"]["heads"]["d01"][1] = 17

    copy = _copy_with_manifest(path, tmp_path, widen)
    with pytest.raises(BundleError, match=r"'heads\.d01\.0\.weight' has shape \[16, 48\] but the manifest"):
        load_bundle(copy, device="cpu")


def test_missing_weights_and_bad_format_are_clear_errors(saved, tmp_path):
    _, path = saved
    copy = _copy_with_manifest(path, tmp_path, lambda m: None)
    (copy / "model.safetensors").unlink()
    with pytest.raises(BundleError, match="model.safetensors is missing"):
        load_bundle(copy, device="cpu")
    other = _copy_with_manifest(path, tmp_path / "x", lambda m: m.update(format_version=99))
    with pytest.raises(BundleError, match="unsupported bundle format 99"):
        load_bundle(other, device="cpu")


def test_save_refuses_to_overwrite(saved):
    model, path = saved
    with pytest.raises(Exception, match="already exists"):
        save_bundle(
            path,
            model=model,
            tokenizer_config=TOKENIZER_CONFIG,
            tokenizer_state={},
            kind="demo",
            name="demo",
            description=DESCRIPTION,
        )
