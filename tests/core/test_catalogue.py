import json
from pathlib import Path

from prima_core.catalogue import diagnosis_info, known_diagnoses, priority_display_name, referral_info

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "prima_parity"


def test_catalogue_covers_every_prima_label():
    expected = json.loads((FIXTURES / "expected_study_a.json").read_text())
    assert set(expected["diagnosis"]) == set(known_diagnoses())
    for name in expected["diagnosis"]:
        info = diagnosis_info(name)
        assert info.display_name and info.description and info.group
    for name in expected["referral"]:
        assert referral_info(name).display_name != name
    for level in expected["priority"]:
        assert priority_display_name(level).endswith("priority")


def test_unknown_label_gets_readable_fallback():
    info = diagnosis_info("tumor_adult_new_thing")
    assert info.display_name == "Tumor adult new thing"
    assert info.group == "Tumour"
