"""Transformer blocks, name codes and the batched hierarchical ViT."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from prima_core.model.hier import HierarchicalViT
from prima_core.model.names import END_CODE, UNKNOWN_CODE, name_codes, sinusoid_code
from prima_core.model.safe_unpickle import load_inert
from prima_core.model.spec import NameEncoderSpec, TransformerSpec, VisualSpec, ViTSpec
from prima_core.model.vit import record_attention

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "prima_parity"


def small_visual_spec(*, width: int = 292, outer_project: bool = True) -> VisualSpec:
    names = TransformerSpec(dim=32, depth=1, heads=2, dim_head=16, mlp_dim=40)
    return VisualSpec(
        inner=ViTSpec(TransformerSpec(dim=width, depth=2, heads=4, dim_head=16, mlp_dim=64), cls_count=3),
        outer=ViTSpec(
            TransformerSpec(
                dim=24,
                depth=2,
                heads=2 if outer_project else 1,
                dim_head=12 if outer_project else 24,
                mlp_dim=30,
                project_out=outer_project,
            ),
            cls_count=2,
        ),
        series_dim=24,
        series_names=NameEncoderSpec(names, out_dim=width, embed_dim=22),
        study_description=NameEncoderSpec(names, out_dim=24, embed_dim=22),
    )


def random_visual(spec: VisualSpec, seed: int = 0) -> HierarchicalViT:
    torch.manual_seed(seed)
    model = HierarchicalViT(spec).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif p.ndim == 2:
                p.copy_(torch.randn_like(p) / p.shape[1] ** 0.5)
            else:
                p.copy_((1.0 if p.ndim == 3 else 0.1) * torch.randn_like(p))
    return model


def test_name_codes():
    assert name_codes("Ax_T1+c") == [1, 24, 27, 20, 31, 28, 3, END_CODE]
    assert name_codes("a b")[1] == UNKNOWN_CODE
    assert len(name_codes("x" * 500)) == 200 and name_codes("x" * 500)[-1] == END_CODE


def test_position_code_matches_released_table():
    checkpoint = load_inert(FIXTURES / "full_model.pt")
    encoder = checkpoint.root.member("clipvisualmodel").member("studyencoder")
    table = checkpoint.read_tensor(encoder.member("p_enc"))
    ours = sinusoid_code(torch.arange(table.shape[0]), table.shape[1])
    assert torch.allclose(ours, table, atol=1e-6, rtol=0)


@pytest.mark.parametrize("outer_project", [True, False])
def test_batched_series_pass_equals_one_series_at_a_time(outer_project):
    model = random_visual(small_visual_spec(outer_project=outer_project))
    generator = torch.Generator().manual_seed(1)
    tokens = [torch.randn(n, 289, generator=generator) for n in (1, 17, 6, 40)]
    names = ["AX_T1", "COR_FLAIR-COR_FLAIR-Protocol", "sag", "DWI_b1000"]
    with torch.no_grad():
        batched = model.embed_series(tokens, names)
        alone = torch.cat([model.embed_series([t], [n]) for t, n in zip(tokens, names, strict=True)])
    assert torch.allclose(batched, alone, atol=1e-5, rtol=0)


def test_series_order_does_not_change_the_study_embedding():
    model = random_visual(small_visual_spec())
    vectors = torch.randn(4, 24)
    with torch.no_grad():
        a = model.study_embedding_from_series_vectors(vectors, "MRI BRAIN")
        b = model.study_embedding_from_series_vectors(vectors.flip(0), "MRI BRAIN")
    assert a.shape == (48,) and torch.allclose(a, b, atol=1e-5)


def test_recorded_attention_matches_fast_path_and_masks_padding():
    spec = small_visual_spec()
    model = random_visual(spec)
    tokens = [torch.randn(n, 289) for n in (3, 10)]
    names = ["t1", "flair"]
    with torch.no_grad():
        fast = model(tokens, names, "MRI")
        with record_attention() as recorder:
            slow = model(tokens, names, "MRI")
    assert torch.allclose(fast, slow, atol=1e-5)
    inner = recorder.for_prefix("inner.")
    assert [r.layer for r in inner] == ["inner.0", "inner.1"]
    assert len(recorder.for_prefix("outer.")) == 2
    weights = inner[0].weights  # (series, heads, queries, keys)
    longest = 3 + 1 + 10
    assert weights.shape == (2, 4, longest, longest)
    assert torch.allclose(weights.sum(-1), torch.ones(2, 4, longest), atol=1e-5)
    real_keys_first = 3 + 1 + 3
    assert weights[0, :, :, real_keys_first:].abs().max() == 0
    assert inner[0].key_mask[0].sum() == real_keys_first


def test_tokens_narrower_than_model_are_zero_padded():
    model = random_visual(small_visual_spec(width=292))
    t = torch.randn(5, 289)
    with torch.no_grad():
        a = model.embed_series([t], ["x"])
        b = model.embed_series([torch.nn.functional.pad(t, (0, 3))], ["x"])
    assert torch.equal(a, b)
