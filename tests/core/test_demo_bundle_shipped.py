"""The built-in demo model is part of the repository, loads as a demo bundle and documents itself."""

from __future__ import annotations

import json

from prima_core.demo.train_config import DemoTrainConfig
from prima_core.demo.train_provenance import generator_fingerprint
from prima_core.demo.train_targets import diagnosis_names
from prima_core.model import load_bundle
from prima_core.model_registry import demo_bundle_dir, recommended_method, resolve_model


def test_the_shipped_demo_bundle_loads_and_says_what_it_is():
    folder = resolve_model("demo")
    assert folder == demo_bundle_dir() and (folder / "manifest.json").is_file()
    assert sum(p.stat().st_size for p in folder.iterdir()) < 30 * 1024 * 1024  # the limit
    bundle = load_bundle(folder, device="cpu")
    assert bundle.kind == "demo" and "not diagnostic" in bundle.manifest["description"]
    assert list(bundle.model.diagnoses) == diagnosis_names()
    assert recommended_method(folder) == "integrated_gradients"
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["recipe"]["seed"] == 0 and metrics["recipe"]["n_train"] == 1920
    # DemoTrainConfig's defaults are the recipe that made the committed bundle
    recipe, defaults = metrics["recipe"], DemoTrainConfig()
    assert (recipe["n_train"], recipe["n_val"]) == (defaults.n_train, defaults.n_val)
    assert recipe.get("n_focus", 0) == defaults.n_focus  # no extra studies of chosen findings
    names = ("epochs", "width", "inner_depth", "head_fit", "transplant_p", "rank_weight", "head_ensemble")
    for name in names:
        assert recipe["vit"][name] == getattr(defaults.vit, name), name
    # bf16 training steps, the last four of sixteen epochs scored
    assert (recipe["vit"]["precision"], recipe["vit"]["score_from"]) == (
        defaults.vit.precision,
        defaults.vit.score_from,
    )
    # trained on the phantoms this generator makes (a changed generator means a new bundle)
    assert metrics["generator_sha256"] == generator_fingerprint(), (
        "the phantom generator changed since the demo bundle was trained: retrain it "
        "(resources/demo_model/TRAINING.md), or, if the phantoms are the same as before "
        "(comments, refactoring), record the new hash in metrics.json and say so in the commit"
    )
    evaluation = metrics["evaluation"]
    assert evaluation["study_seeds"][0] >= 3_000_000  # never a training or validation seed
    assert set(evaluation["pointing_game"]) == {"occlusion", "integrated_gradients", "lime"}
    training = (folder / "TRAINING.md").read_text(encoding="utf-8")
    assert "prima demo-train --out resources/demo_model" in training
    assert "not diagnostic" in training and "targets are not met" in training
