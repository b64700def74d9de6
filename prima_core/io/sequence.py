"""A best guess of a series' MR contrast, for display and sorting only (the model reads names).

Words in SeriesDescription/ProtocolName/SequenceName decide first, because sites name
their series deliberately; timing tags (TR, TE, TI), ScanningSequence, the diffusion
b-value and ContrastBolusAgent decide when the words say nothing.
"""

from __future__ import annotations

import re

from prima_core.io.study import SequenceType

_WORD_RULES: tuple[tuple[SequenceType, re.Pattern[str]], ...] = (
    (SequenceType.ADC, re.compile(r"\b(ADC|APPARENT|DIFFUSION COEFF)")),
    (SequenceType.FLAIR, re.compile(r"FLAIR|\bDARK ?FLUID|\bTIRM")),
    (SequenceType.DWI, re.compile(r"\b(DWI|DTI|DIFF|TRACE|EP2D_DIFF|B ?1000|B ?0\b|TRACEW)")),
    (SequenceType.SWI, re.compile(r"\b(SWI|SWAN|SWIP|GRE|T2\*|T2_STAR|HEMO|SUSC|MERGE)")),
)
_POST = re.compile(
    r"(\+ ?C\b|\bC\+|POST|\bGAD|\bGD\b|CONTRAST|\bCE\b|W/ ?C\b|\bWITH\b|\bMAGNEVIST|\bDOTAREM)"
)
_PRE = re.compile(r"\b(PRE|WO|W/O|NON ?CON|WITHOUT)\b")
_T1 = re.compile(r"T1|MPRAGE|MP-RAGE|SPGR|BRAVO|\bTFE\b|\bFSPGR|VIBE|MPR\b")
_T2 = re.compile(r"T2|\bTSE\b|\bFSE\b")


def _words(*texts: str) -> str:
    return " ".join(t.upper().replace("_", " ") for t in texts if t)


def guess_sequence(
    *,
    description: str = "",
    protocol: str = "",
    sequence_name: str = "",
    scanning_sequence: str = "",
    image_type: tuple[str, ...] = (),
    repetition_time: float | None = None,
    echo_time: float | None = None,
    inversion_time: float | None = None,
    b_value: float | None = None,
    contrast_agent: str = "",
) -> SequenceType:
    """The most likely ``SequenceType`` from names first, then acquisition parameters."""
    words = _words(description, protocol, sequence_name)
    if "ADC" in image_type:
        return SequenceType.ADC
    post = (bool(_POST.search(words)) and not _PRE.search(words)) or bool(contrast_agent.strip())
    for kind, pattern in _WORD_RULES:
        if pattern.search(words):
            if kind == SequenceType.FLAIR and re.search(r"T1", words):
                break  # T1-weighted FLAIR is a T1 contrast
            return kind
    if _T1.search(words):
        return SequenceType.T1_POST if post else SequenceType.T1
    if _T2.search(words):
        return SequenceType.T2
    return _from_parameters(
        scanning_sequence.upper(), repetition_time, echo_time, inversion_time, b_value, post, image_type
    )


def _from_parameters(
    scanning: str,
    tr: float | None,
    te: float | None,
    ti: float | None,
    b_value: float | None,
    post: bool,
    image_type: tuple[str, ...],
) -> SequenceType:
    if (b_value is not None and b_value > 0) or "DIFFUSION" in image_type or "TRACEW" in image_type:
        return SequenceType.DWI
    if tr is None or te is None:
        return SequenceType.OTHER
    if ti is not None and ti > 1200 and te > 60:
        return SequenceType.FLAIR
    if "GR" in scanning and "SE" not in scanning and te > 15 and tr < 1500:
        return SequenceType.SWI
    if tr < 1000 and te < 30:
        return SequenceType.T1_POST if post else SequenceType.T1
    if tr > 1800 and te > 60:
        return SequenceType.T2
    return SequenceType.OTHER
