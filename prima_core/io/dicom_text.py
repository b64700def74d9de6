"""Descriptive text and timing of a series (names, patient, study, TR/TE/TI), read once per series."""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from prima_core.io.frames import number

TEXT_KEYWORDS = (
    "PatientName",
    "PatientID",
    "PatientSex",
    "PatientAge",
    "StudyDate",
    "StudyDescription",
    "AccessionNumber",
    "SeriesDescription",
    "ProtocolName",
    "Modality",
    "SequenceName",
    "ScanningSequence",
    "SequenceVariant",
    "ContrastBolusAgent",
    "FrameOfReferenceUID",
)


@dataclass(frozen=True)
class SeriesText:
    text: dict[str, str]
    timing: dict[str, float | None]  # RepetitionTime, EchoTime, InversionTime (ms)


def _text(ds: Dataset) -> dict[str, str]:
    """Keyword -> text as pydicom decodes it (character set applied, trailing padding removed).

    SeriesDescription and ProtocolName feed the model's series name, so they are kept
    exactly as pydicom gives them (leading spaces included).
    """
    out = {}
    for keyword in TEXT_KEYWORDS:
        value = ds.get(keyword)
        if value is None:
            continue
        out[keyword] = (
            "\\".join(str(v) for v in value) if isinstance(value, MultiValue | list) else str(value)
        )
    return out


def _timing(ds: Dataset) -> dict[str, float | None]:
    timing = {key: number(ds.get(key)) for key in ("RepetitionTime", "EchoTime", "InversionTime")}
    shared = ds.get("SharedFunctionalGroupsSequence")
    if shared:
        item = shared[0].get("MRTimingAndRelatedParametersSequence")
        if item and timing["RepetitionTime"] is None:
            timing["RepetitionTime"] = number(item[0].get("RepetitionTime"))
        modifier = shared[0].get("MRModifierSequence")
        if modifier and timing["InversionTime"] is None:
            timing["InversionTime"] = number(modifier[0].get("InversionTimes"))
    return timing


def series_text(ds: Dataset) -> SeriesText:
    return SeriesText(_text(ds), _timing(ds))
