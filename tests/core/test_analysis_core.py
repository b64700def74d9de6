"""The viewer's Qt-free analysis logic: fingerprints, results cache, differential, report, settings."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys

import pytest

from prima_core import DEMO_CAVEAT, RESEARCH_CAVEAT
from prima_core.analysis.differential import device_label, differential_from_result, format_margin
from prima_core.analysis.fingerprint import bundle_identity, study_fingerprint
from prima_core.analysis.methods import DEFAULT_METHOD, METHOD_CHOICES, method_choice
from prima_core.analysis.report import dicom_age, dicom_date, report_content, results_document
from prima_core.analysis.results_cache import ResultsCache
from prima_core.analysis.settings import AnalysisSettings, default_model
from prima_core.catalogue import known_diagnoses
from prima_core.errors import UserError
from prima_core.io import open_studies
from prima_core.model_registry import ModelEntry
from tests.core.dicom_factory import make_series, sphere_phantom

NAMES = known_diagnoses()


def fake_result(*, kind: str = "official", positives: int = 3) -> dict:
    """A Prediction JSON as ``Prediction.to_dict()`` writes it (values chosen, names real)."""
    margins = {name: (positives - i) - 0.5 for i, name in enumerate(NAMES)}
    return {
        "diagnosis": margins,
        "referral": {"neurosurgery": 0.7, "neurology": -1.2, "neuro_oncology": 0.2},
        "priority": {"none": -1.0, "low": 0.3, "medium": 2.5, "high": 1.0},
        "model": {"name": "m", "kind": kind, "format_version": 1},
        "device": "cpu",
        "series": [],
    }


def test_differential_ranks_every_diagnosis_by_margin():
    result = fake_result()
    scrambled = dict(reversed(list(result["diagnosis"].items())))
    diff = differential_from_result({**result, "diagnosis": scrambled})
    margins = [d.margin for d in diff.diagnoses]
    assert len(diff.diagnoses) == len(NAMES) == 52 and margins == sorted(margins, reverse=True)
    assert [d.name for d in diff.positives] == NAMES[:3]
    assert all(d.display_name and d.group for d in diff.diagnoses)
    assert diff.priority_level == "medium" and diff.priority_display == "Medium priority"
    assert [r.name for r in diff.positive_referrals] == ["neurosurgery", "neuro_oncology"]
    assert diff.caveats == [RESEARCH_CAVEAT]
    assert differential_from_result(fake_result(kind="demo")).caveats == [DEMO_CAVEAT, RESEARCH_CAVEAT]


def test_find_and_filter_diagnoses():
    diff = differential_from_result(fake_result())
    first = diff.diagnoses[0]
    assert diff.find(first.name) is first and diff.find(first.display_name.upper()) is first
    with pytest.raises(UserError, match="no diagnosis named 'tumour_glioma_typo'"):
        diff.find("tumour_glioma_typo")
    tumours = diff.matching(group="Tumour")
    assert tumours and all(d.group == "Tumour" for d in tumours)
    assert all("cyst" in (d.name + d.display_name + d.description).lower() for d in diff.matching("cyst"))
    assert len(diff.matching("")) == 52


def test_margin_and_device_wording():
    assert format_margin(1.234) == "+1.23" and format_margin(-0.4) == "\u22120.40"
    assert format_margin(0.00031) == "+0.00031" and format_margin(-0.0021) == "\u22120.0021"
    assert format_margin(0.0) == "+0.00"
    assert device_label("cpu") == "CPU" and device_label("cuda:0") == "GPU (cuda:0)"


def test_results_cache_round_trip_and_damage(tmp_path):
    cache = ResultsCache(tmp_path)
    assert cache.get("study", "model") is None
    path = cache.put("study", "model", fake_result())
    assert cache.get("study", "model") == fake_result()
    assert cache.get("study", "other model") is None and cache.get("other study", "model") is None
    path.write_text("{not json")
    assert cache.get("study", "model") is None
    path.write_text(json.dumps({"format": "something else", "result": fake_result()}))
    assert cache.get("study", "model") is None


def test_study_fingerprint_follows_the_pixels_not_the_folder(tmp_path):
    make_series(tmp_path / "a", phantom=sphere_phantom((0, 0, 0)))
    shutil.copytree(tmp_path / "a", tmp_path / "copy")
    make_series(tmp_path / "b", phantom=sphere_phantom((3, 0, 0)))
    study = lambda folder: open_studies(tmp_path / folder).studies[0]  # noqa: E731
    a = study_fingerprint(study("a"))
    assert a == study_fingerprint(study("copy"))
    assert a != study_fingerprint(study("b"))


def test_bundle_identity_is_the_manifest_hash(tmp_path):
    (tmp_path / "manifest.json").write_text('{"name": "x"}')
    first = bundle_identity(tmp_path)
    (tmp_path / "manifest.json").write_text('{"name": "y"}')
    assert bundle_identity(tmp_path) != first


def _study(tmp_path):
    make_series(tmp_path / "s", phantom=sphere_phantom((0, 0, 0)))
    return open_studies(tmp_path / "s").studies[0]


def test_report_content_lists_positives_caveats_and_referrals(tmp_path):
    diff = differential_from_result(fake_result(kind="demo", positives=20))
    explanation = {
        "method": "gradient_x_input",
        "target": {"kind": "diagnosis", "name": diff.diagnoses[0].name},
        "regions": [{"series": "AX_T1", "center_lps": [12.0, -30.0, 5.0]}],
    }
    content = report_content(
        diff,
        study=_study(tmp_path),
        explanation=explanation,
        series_labels={"AX_T1": "#1 AX T1"},
        top=15,
        generated=dt.datetime(2026, 1, 2, 3, 4),
    )
    assert content.caveats == [DEMO_CAVEAT, RESEARCH_CAVEAT]
    assert len(content.differential) == 20  # more positives than the top 15: every positive
    assert all(d.positive for d in content.differential)
    assert content.differential_note == "All 20 positive diagnoses of 52, by margin."
    few = report_content(differential_from_result(fake_result(positives=3)), study=_study(tmp_path))
    assert (
        len(few.differential) == 15
        and few.differential_note == "Top 15 of 52 diagnoses by margin; 3 positive."
    )
    assert content.priority == "Medium priority"
    assert "Neurosurgery (+0.70)" in content.referrals_line
    assert "Gradient \u00d7 input" in content.explanation_lines[0]
    assert content.explanation_lines[-1] == "Top region: #1 AX T1 at L 12, A 30, S 5 mm."
    assert "demo model" in content.model_line and "CPU" in content.model_line
    assert content.generated.startswith("Generated 2026-01-02 03:04")
    assert "probabilit" in content.margins_note and "not probabilities" in content.margins_note


def test_dicom_dates_and_ages_read_naturally():
    assert dicom_date("20260101") == "2026-01-01" and dicom_date("2026") == "2026"
    assert dicom_age("054Y") == "54 Y" and dicom_age("") == ""


def test_results_document_carries_prediction_caveats_and_summary(tmp_path):
    explanation = {"method": "lime", "target": {"kind": "diagnosis", "name": NAMES[0]}, "regions": [],
                   "series": [{"name": "A", "coords": [[0, 0, 0]], "scores": [0.5]}]}  # fmt: skip
    doc = results_document(fake_result(), study=_study(tmp_path), explanation=explanation)
    json.dumps(doc)
    assert doc["caveats"] == [RESEARCH_CAVEAT] and doc["prediction"] == fake_result()
    assert doc["explanation"]["series"] == [{"name": "A", "tokens": 1}]
    assert [d["margin"] for d in doc["differential"]] == sorted(
        fake_result()["diagnosis"].values(), reverse=True
    )
    assert "series" not in doc["study"] and doc["priority"] == "medium"


def test_settings_round_trip_and_damaged_file():
    assert AnalysisSettings.load().model is None
    AnalysisSettings(model="fixture").save()
    assert AnalysisSettings.load().model == "fixture"
    AnalysisSettings.path().write_text("[1, 2")
    assert AnalysisSettings.load().model is None


def test_default_model_order(tmp_path):
    entry = lambda name: ModelEntry(name, tmp_path / name, "official", "")  # noqa: E731
    assert default_model(None, []) is None
    assert default_model(None, [entry("b"), entry("c")]) == "b"
    assert default_model(None, [entry("demo"), entry("b")]) == "demo"
    assert default_model("c", [entry("demo"), entry("c")]) == "c"
    assert default_model("gone", [entry("demo")]) == "demo"


def test_method_choices_are_the_core_methods():
    from prima_core.explain import SaliencyMethod, default_fast_method

    assert {c.value for c in METHOD_CHOICES} == {m.value for m in SaliencyMethod}
    assert default_fast_method().value == DEFAULT_METHOD
    assert {c.value for c in METHOD_CHOICES if c.slow} == {"integrated_gradients", "occlusion", "lime"}
    assert method_choice("LIME").value == "lime" and method_choice("gradient-x-input").value == DEFAULT_METHOD
    with pytest.raises(UserError, match="unknown saliency method 'magic'"):
        method_choice("magic")


def test_analysis_package_does_not_import_torch():
    code = (
        "import sys, prima_core.analysis.analyzer, prima_core.analysis.report; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
