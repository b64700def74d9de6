"""The model series name and the sequence guess."""

import pytest

from prima_core.io.naming import model_series_name, sanitize_name_part
from prima_core.io.sequence import guess_sequence
from prima_core.io.study import SequenceType


@pytest.mark.parametrize(
    ("description", "protocol", "expected"),
    [
        ("AX T1 SE", "AX T1 SE", "AX_T1_SE"),
        ("COR T2 FLAIR", "COR FLAIR", "COR_T2_FLAIR-COR_FLAIR-Protocol"),
        ("SAG T2 FSE +C", None, "SAG_T2_FSE__plus_C"),
        ("SAG T2 FSE+C", "SAG T2 FSE+C", "SAG_T2_FSE_plus_C"),
        (None, "T2*GRE", "T2_star_GRE-Protocol"),
        ("", "", "UNK-1.2.3"),
        (None, None, "UNK-1.2.3"),
        ("Ax DWI (b=1000)", "Ax DWI (b=1000)", "Ax_DWI__b_1000_"),
        ("T1+C/äx", "T1+C/äx", "T1_plus_C__x"),
    ],
)
def test_model_series_name_rules(description, protocol, expected):
    assert model_series_name(description, protocol, "1.2.3") == expected


def test_sanitize_replaces_plus_and_star_before_other_characters():
    assert sanitize_name_part("a+b*c d.e") == "a_plus_b_star_c_d_e"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"description": "AX T1 SE"}, SequenceType.T1),
        ({"description": "AX T1 POST GAD"}, SequenceType.T1_POST),
        ({"description": "SAG MPRAGE", "contrast_agent": "GADAVIST"}, SequenceType.T1_POST),
        ({"description": "AX T1 PRE"}, SequenceType.T1),
        ({"description": "COR T2 FLAIR"}, SequenceType.FLAIR),
        ({"description": "AX T1 FLAIR"}, SequenceType.T1),
        ({"description": "AX T2 FSE"}, SequenceType.T2),
        ({"description": "Ax DWI b1000"}, SequenceType.DWI),
        ({"description": "ADC map"}, SequenceType.ADC),
        ({"description": "anything", "image_type": ("DERIVED", "ADC")}, SequenceType.ADC),
        ({"description": "AX SWI"}, SequenceType.SWI),
        ({"description": "AX GRE"}, SequenceType.SWI),
        ({"repetition_time": 9000, "echo_time": 120, "inversion_time": 2500}, SequenceType.FLAIR),
        ({"repetition_time": 500, "echo_time": 12}, SequenceType.T1),
        ({"repetition_time": 4000, "echo_time": 100}, SequenceType.T2),
        ({"repetition_time": 800, "echo_time": 20, "scanning_sequence": "GR"}, SequenceType.SWI),
        ({"repetition_time": 5000, "echo_time": 80, "b_value": 1000}, SequenceType.DWI),
        ({"description": "3D TOF"}, SequenceType.OTHER),
    ],
)
def test_sequence_guess(kwargs, expected):
    assert guess_sequence(**kwargs) == expected
