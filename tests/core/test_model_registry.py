import json

import pytest

from prima_core.errors import UserError
from prima_core.model_registry import list_models, resolve_model
from prima_core.paths import models_dir


def _fake_bundle(path, kind="official"):
    path.mkdir(parents=True)
    (path / "manifest.json").write_text(json.dumps({"kind": kind, "description": "test"}))
    return path


def test_imported_bundle_resolves_by_name_and_path(tmp_path):
    bundle = _fake_bundle(models_dir() / "prima107")
    assert resolve_model("prima107") == bundle
    assert resolve_model(str(bundle)) == bundle
    assert "prima107" in [e.name for e in list_models()]


def test_unknown_model_lists_known_ones():
    _fake_bundle(models_dir() / "mine")
    with pytest.raises(UserError, match="unknown model 'nope'; known models: .*mine"):
        resolve_model("nope")


def test_missing_folder_is_named_as_a_folder(tmp_path):
    _fake_bundle(models_dir() / "mine")
    missing = tmp_path / "converted" / "prima107"
    expected = r"no model bundle at .*prima107 \(the folder does not exist\); known models: .*mine"
    with pytest.raises(UserError, match=expected):
        resolve_model(str(missing))


def test_folder_without_manifest_is_refused(tmp_path):
    with pytest.raises(UserError, match="not a model bundle"):
        resolve_model(str(tmp_path))
