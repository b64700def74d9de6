"""The demo-model recipe at toy sizes: a real (tiny) run through the same code as the real one.

Studies are generated, written as DICOM, imported and prepared by the pipeline; the tokenizer
and the ViT are trained for a few steps; the bundle is written and loaded back; the tokens the
recipe trained on equal the tokens ``predict_study`` builds; ``prima demo-eval`` reports its keys.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch

from prima_core.cli import main
from prima_core.demo.dataset import read_series_records
from prima_core.demo.dataset_records import StudyRecord
from prima_core.demo.dataset_tokens import tokenize_record
from prima_core.demo.findings import finding_names
from prima_core.demo.study import generate_demo_study
from prima_core.demo.train import METRICS_FILE, train_demo_model
from prima_core.demo.train_config import DemoTrainConfig
from prima_core.demo.train_provenance import phantom_cache
from prima_core.demo.train_targets import PRIORITY_LEVELS, REFERRALS
from prima_core.io import open_studies
from prima_core.model import load_bundle
from prima_core.pipeline.predict import predict_study

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_bundle(tmp_path_factory):
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    base = tmp_path_factory.mktemp("demo_train")
    config = DemoTrainConfig.tiny(n_train=2, n_val=1)
    metrics = train_demo_model(out_dir=base / "bundle", config=config, work_dir=base / "work")
    yield base / "bundle", metrics
    torch.set_num_threads(before)


def test_tiny_run_writes_a_loadable_demo_bundle(tiny_bundle):
    out, metrics = tiny_bundle
    bundle = load_bundle(out, device="cpu")
    assert bundle.kind == "demo"
    assert list(bundle.model.diagnoses) == finding_names()
    assert list(bundle.model.referrals) == list(REFERRALS)
    assert bundle.model.priority_levels == list(PRIORITY_LEVELS)
    assert "not diagnostic" in bundle.manifest["description"]
    assert bundle.manifest["recommended_explanation"] == "integrated_gradients"  # the viewer's default
    assert bundle.model_width >= 289
    saved = json.loads((out / METRICS_FILE).read_text())
    assert saved["recipe"]["n_train"] == 2 and saved["study_seeds"]["train"][0] == 1_000_000
    assert set(saved["stage_seconds"]) == {"studies", "tokenizer", "tokens", "vit"}
    assert saved["recipe"]["vit"]["head_ensemble"] == 1  # the recipe: the kept epoch's own heads
    assert bundle.model.heads.dims["diagnosis"][1:3] == saved["recipe"]["vit"]["head_hidden"]
    assert saved["versions"]["torch"] and len(saved["generator_sha256"]) == 64
    assert metrics["training"]["best_epoch"] >= 1


def test_recipe_tokens_equal_what_predict_study_builds(tiny_bundle, tmp_path):
    out, _ = tiny_bundle
    bundle = load_bundle(out, device="cpu")
    study_dir = tmp_path / "study"
    generate_demo_study(
        seed=3_000_109, findings=["tumor_adult_meningioma"], out_dir=study_dir, series=["AX T1"]
    )
    description, series = read_series_records(study_dir)
    record = StudyRecord(seed=3_000_109, labels=[], requested=[], description=description, series=series)
    recipe = tokenize_record(record, bundle.tokenizer, device=bundle.device)
    prediction = predict_study(open_studies(study_dir).studies[0], bundle, cache=False)
    assert recipe.series_names == prediction.series_names()
    assert description == prediction.study_description
    for ours, theirs in zip(recipe.vectors, prediction.token_vectors(), strict=True):
        assert torch.equal(ours, theirs)


def test_demo_eval_reports_its_metrics(tiny_bundle, tmp_path):
    out, _ = tiny_bundle
    metrics_file = tmp_path / "eval.json"
    code = main(
        [
            "demo-eval",
            "--n",
            "2",
            "--seed",
            "3000009",
            "--model",
            str(out),
            "--methods",
            "gradient_x_input",
            "--workers",
            "1",
            "--work-dir",
            str(tmp_path / "studies"),
            "--out",
            str(metrics_file),
        ]  # fmt: skip
    )
    assert code == 0
    metrics = json.loads(metrics_file.read_text())
    assert metrics["studies"] == 2 and metrics["study_seeds"] == [3_000_009, 3_000_010]
    assert set(metrics["diagnosis_auc"]) == {"per_finding", "positives", "mean", "min"}
    assert metrics["single_finding"]["studies"] == 2  # a glioma and a meningioma
    assert metrics["pointing_game"]["gradient_x_input"]["total"] == 2
    assert main(["demo-eval", "--n", "2", "--seed", "1000000", "--model", str(out)]) == 1  # seen seeds


def test_more_training_studies_reuse_the_tokenizer(tiny_bundle, tmp_path):
    """The tokenizer learns from the first ``tokenizer_studies``: a run with more ViT studies keeps it."""
    out, _ = tiny_bundle
    outer = out.parent / "work"
    work = phantom_cache(outer)  # the folder of this generator's phantoms
    (saved,) = (work / "tokenizer").glob("*.safetensors")
    stamp = saved.stat().st_mtime_ns
    config = replace(DemoTrainConfig.tiny(n_train=3, n_val=1), tokenizer_studies=2)
    # this run also takes the recipe's optional training aids (averaged weights, lesion attention)
    # and the head fit that the default recipe does not use
    other_fit = "mlp" if config.vit.head_fit == "linear" else "linear"
    config = replace(
        config, vit=replace(config.vit, ema_decay=0.9, lesion_attention_weight=0.5, head_fit=other_fit)
    )
    train_demo_model(out_dir=tmp_path / "bundle", config=config, work_dir=outer)
    saved_runs = [torch.load(p, weights_only=True) for p in (work / "vit").glob("*.pt")]
    assert len(saved_runs) == 2 and sum("ema" in run for run in saved_runs) == 1
    (averaged,) = [run for run in saved_runs if "ema" in run]
    parts = averaged["state"]["history"][-1]["loss_parts"]
    assert ("token" in parts) == ("lesion_attention" in parts)  # both need lesion tokens in the batch
    assert load_bundle(tmp_path / "bundle", device="cpu").kind == "demo"
    assert list((work / "tokenizer").glob("*.safetensors")) == [saved]
    assert saved.stat().st_mtime_ns == stamp
    assert len(list((work / "tokens").glob("*/train*/*.safetensors"))) == 3  # one folder: same tokenizer


def test_lesion_aware_tokenizer_is_trained_and_cached_apart(tiny_bundle, tmp_path):
    """``--tokenizer-lesion-weight``/``-share`` train another tokenizer under its own cache key."""
    out, _ = tiny_bundle
    outer = out.parent / "work"
    work = phantom_cache(outer)  # the folder of this generator's phantoms
    before = set((work / "tokenizer").glob("*.safetensors"))
    argv = ["demo-train", "--tiny", "--n-train", "2", "--n-val", "1", "--work-dir", str(outer)]
    argv += ["--out", str(tmp_path / "bundle"), "--tokenizer-lesion-weight", "0.5"]
    assert main([*argv, "--tokenizer-lesion-share", "0.5"]) == 0
    after = set((work / "tokenizer").glob("*.safetensors"))
    assert before < after and len(after - before) == 1
    saved = json.loads((tmp_path / "bundle" / METRICS_FILE).read_text())
    assert saved["recipe"]["tokenizer"]["lesion_weight"] == 0.5
    assert saved["recipe"]["tokenizer"]["lesion_share"] == 0.5
    assert load_bundle(tmp_path / "bundle", device="cpu").kind == "demo"
    assert main([*argv[:-2], "--tokenizer-lesion-share", "1.5"]) != 0  # refused with a message


def test_bf16_training_runs_apart_and_writes_an_fp32_bundle(tiny_bundle, tmp_path, capsys):
    """``--precision bf16``: the ViT steps under bf16 autocast, its own cache key, fp32 weights out."""
    from prima_core.model.precision import cpu_has_native_bf16

    out, _ = tiny_bundle
    outer = out.parent / "work"
    work = phantom_cache(outer)  # the folder of this generator's phantoms
    before = set((work / "vit").glob("*.pt"))
    argv = ["demo-train", "--tiny", "--n-train", "2", "--n-val", "1", "--work-dir", str(outer)]
    argv += ["--out", str(tmp_path / "bundle"), "--precision", "bf16"]
    if not cpu_has_native_bf16():
        assert main(argv) != 0
        assert "native bf16" in capsys.readouterr().err
        return
    assert main(argv) == 0
    after = set((work / "vit").glob("*.pt"))
    assert len(after - before) == 1  # not the fp32 run's checkpoint
    saved = json.loads((tmp_path / "bundle" / METRICS_FILE).read_text())
    assert saved["recipe"]["vit"]["precision"] == "bf16"
    bundle = load_bundle(tmp_path / "bundle", device="cpu")
    assert all(p.dtype == torch.float32 for p in bundle.model.parameters())


def test_training_precision_is_checked(monkeypatch):
    from prima_core.demo import train_vit
    from prima_core.errors import UserError

    config = DemoTrainConfig.tiny().vit
    assert train_vit.training_autocast_dtype(config) is None  # the recipe: fp32
    with pytest.raises(UserError, match="unknown training precision"):
        train_vit.training_autocast_dtype(replace(config, precision="fp16"))
    monkeypatch.setattr(train_vit, "cpu_has_native_bf16", lambda: False)
    with pytest.raises(UserError, match="native bf16"):
        train_vit.training_autocast_dtype(replace(config, precision="bf16"))
    monkeypatch.setattr(train_vit, "cpu_has_native_bf16", lambda: True)
    assert train_vit.training_autocast_dtype(replace(config, precision="bf16")) is torch.bfloat16


def test_epochs_before_score_from_are_trained_but_not_scored(tiny_bundle, tmp_path):
    """``--score-from 3``: epochs 1-2 train (loss logged) without the head refit and validation."""
    out, _ = tiny_bundle
    outer = out.parent / "work"
    argv = ["demo-train", "--tiny", "--n-train", "2", "--n-val", "1", "--work-dir", str(outer)]
    argv += ["--out", str(tmp_path / "bundle"), "--epochs", "3", "--score-from", "3"]
    assert main(argv) == 0
    saved = json.loads((tmp_path / "bundle" / METRICS_FILE).read_text())
    history = saved["training"]["history"]
    assert [entry["epoch"] for entry in history] == [1, 2, 3]
    assert ["auc_mean" in entry for entry in history] == [False, False, True]
    assert all(entry["train_loss"] > 0 for entry in history)
    assert saved["training"]["best_epoch"] == 3
    assert saved["recipe"]["vit"]["score_from"] == 3
    assert main([*argv[:-2], "--score-from", "0"]) != 0  # refused with a message


def test_focus_studies_join_the_vit_training_set(tiny_bundle, tmp_path):
    """``--n-focus 2``: two extra studies with the first focus findings, under their own seeds and key."""
    from prima_core.demo.dataset_records import load_record

    out, _ = tiny_bundle
    outer = out.parent / "work"
    work = phantom_cache(outer)  # the folder of this generator's phantoms
    tokenizers = set((work / "tokenizer").glob("*.safetensors"))
    runs = set((work / "vit").glob("*.pt"))
    argv = ["demo-train", "--tiny", "--n-train", "2", "--n-val", "1", "--work-dir", str(outer)]
    assert main([*argv, "--out", str(tmp_path / "bundle"), "--n-focus", "2"]) == 0
    focus = sorted((work / "records" / "focus-AX_T1-AX_FLAIR").glob("*.npz"))
    assert [p.stem for p in focus] == ["1500000", "1500001"]
    wanted = DemoTrainConfig().focus_findings[:2]
    assert [load_record(p, patches=False).requested for p in focus] == [[name] for name in wanted]
    assert set((work / "tokenizer").glob("*.safetensors")) == tokenizers  # the tokenizer is reused
    assert len(list((work / "tokens").glob("*/focus*/*.safetensors"))) == 2  # tokenized for the ViT
    assert len(set((work / "vit").glob("*.pt")) - runs) == 1  # not the run without focus studies
    saved = json.loads((tmp_path / "bundle" / METRICS_FILE).read_text())
    assert saved["recipe"]["n_focus"] == 2 and saved["study_seeds"]["focus"] == [1_500_000, 1_500_001]
    assert main([*argv, "--out", str(tmp_path / "other"), "--n-focus", "-1"]) != 0  # refused


def _run_with(tiny_bundle, tmp_path, *options: str):
    """``prima demo-train --tiny`` in the shared work folder with ``options``: the work folder,
    the ViT checkpoints the run added, its metrics and the argv (for a refused variant)."""
    out, _ = tiny_bundle
    outer = out.parent / "work"
    work = phantom_cache(outer)
    runs = set((work / "vit").glob("*.pt"))
    argv = ["demo-train", "--tiny", "--n-train", "2", "--n-val", "1", "--work-dir", str(outer)]
    assert main([*argv, "--out", str(tmp_path / "bundle"), *options]) == 0
    assert load_bundle(tmp_path / "bundle", device="cpu").kind == "demo"
    saved = json.loads((tmp_path / "bundle" / METRICS_FILE).read_text())
    return work, set((work / "vit").glob("*.pt")) - runs, saved, [*argv, "--out", str(tmp_path / "other")]


def test_mirror_images_are_tokenized_once_and_trained_under_their_own_key(tiny_bundle, tmp_path):
    """``--mirror-p 0.5``: every training record's mirror image tokenized (cached), a separate run."""
    work, new, saved, other = _run_with(tiny_bundle, tmp_path, "--mirror-p", "0.5")
    mirrored = sorted((work / "tokens").glob("*/train*-mirror/*.safetensors"))
    assert [p.stem for p in mirrored] == ["1000000", "1000001"]
    assert len(new) == 1  # not the run without mirrors
    assert saved["recipe"]["vit"]["mirror_p"] == 0.5
    assert main([*other, "--mirror-p", "1.5"]) != 0  # refused


def test_a_forked_vit_run_is_trained_under_its_own_key(tiny_bundle, tmp_path):
    """``--branches 2 --branch-after 1``: one more ViT run (cached apart), one averaged bundle."""
    fork = ["--epochs", "2", "--branches", "2"]
    _, new, saved, other = _run_with(tiny_bundle, tmp_path, *fork, "--branch-after", "1")
    assert len(new) == 1 and len(torch.load(next(iter(new)), weights_only=True)["branches"]) == 2
    assert saved["recipe"]["vit"]["branches"] == 2 and saved["recipe"]["vit"]["branch_after"] == 1
    assert main([*other, *fork, "--branch-after", "2"]) != 0


def test_a_run_without_the_ranking_term_is_trained_under_its_own_key(tiny_bundle, tmp_path):
    """``--rank-weight 0``: a separate ViT run (cached apart) whose recipe records the weight."""
    _, new, saved, other = _run_with(tiny_bundle, tmp_path, "--rank-weight", "0")
    assert len(new) == 1  # not the recipe's run, which has the term
    assert saved["recipe"]["vit"]["rank_weight"] == 0
    assert main([*other, "--rank-weight", "-1"]) != 0  # refused


def test_a_head_ensemble_reuses_the_trained_vit_and_widens_the_heads(tiny_bundle, tmp_path):
    """``--head-ensemble 2``: the same cached ViT (no new run), heads holding two averaged refits."""
    _, new, saved, other = _run_with(tiny_bundle, tmp_path, "--head-ensemble", "2")
    assert not new  # the head ensemble is applied after training: same ViT key
    assert saved["recipe"]["vit"]["head_ensemble"] == 2 and saved["stage_seconds"]["heads"] >= 0
    wide = load_bundle(tmp_path / "bundle", device="cpu").model.heads.dims["diagnosis"]
    assert wide[1:3] == [2 * w for w in saved["recipe"]["vit"]["head_hidden"]]
    assert main([*other, "--head-ensemble", "5"]) != 0  # would pass the bundle size limit
    assert main([*other, "--head-ensemble", "0"]) != 0
