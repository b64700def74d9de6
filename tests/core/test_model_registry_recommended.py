"""A bundle's recommended explanation method, read from its manifest."""

from __future__ import annotations

import json

from prima_core.model_registry import recommended_method


def test_recommended_method_is_read_from_the_manifest(tmp_path):
    manifest = {"kind": "demo", "recommended_explanation": "occlusion"}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert recommended_method(tmp_path) == "occlusion"


def test_bundles_without_one_or_with_a_broken_manifest_have_none(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "manifest.json").write_text(json.dumps({"kind": "official"}))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "manifest.json").write_text("{not json")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "manifest.json").write_text(json.dumps({"recommended_explanation": 3}))
    assert recommended_method(tmp_path / "a") is None
    assert recommended_method(tmp_path / "b") is None
    assert recommended_method(tmp_path / "c") is None
    assert recommended_method(tmp_path / "missing") is None
