"""The order in which the released pipeline visits a study's series.

The release lists the study folder and natural-sorts the names of its sub-folders (``natsort``),
one series per folder. The outer transformer has no position code, so the order never changes
Prima's output; it only fixes the order of per-series lists (names, token counts), which is what
the parity fixtures record. We sort by the natural order of each series' folder, then by series
number and name for series that share a folder or have no files (NIfTI, DICOMDIR).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from prima_core.io.study import Series

_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> list[str | int]:
    """``"s10"`` after ``"s9"``: digit runs compare as numbers (alternating str, int, str, ...)."""
    parts = _DIGITS.split(text)
    return [int(p) if i % 2 else p for i, p in enumerate(parts)]


def _folder(series: Series) -> str:
    return str(series.files[0].parent) if series.files else ""


def release_order(series: Sequence[Series]) -> list[Series]:
    """The series sorted as the released pipeline visits their folders."""

    def key(s: Series) -> tuple:
        number = s.series_number if s.series_number is not None else 1 << 30
        return (natural_key(_folder(s)), number, s.model_name)

    return sorted(series, key=key)
