"""Fast reads of numeric and code-string header values straight from pydicom's raw elements.

pydicom converts a value on first access through several layers (about 20 us each);
the per-slice geometry and pixel-description tags are plain ASCII numbers or small
binary integers, so parsing their bytes directly makes the header scan several times
faster. Anything unusual (already converted, deferred, unexpected VR) falls back to
pydicom's own conversion, so the result is the same.
"""

from __future__ import annotations

import struct
from functools import lru_cache
from typing import Any

from pydicom.datadict import dictionary_VR
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset

_TEXT_VRS = {"DS", "IS", "CS", "UI", "TM", "DA", "AS", "SH", "LO"}
_BINARY = {"US": "H", "SS": "h", "UL": "I", "SL": "i", "FL": "f", "FD": "d"}


@lru_cache(maxsize=512)
def _vr_of(tag: int) -> str:
    try:
        return dictionary_VR(tag)
    except KeyError:
        return "UN"


def _raw(ds: Dataset, tag: int) -> tuple[RawDataElement, bytes] | None:
    """The unconverted element and its value bytes, or None (absent, converted or deferred)."""
    # ``items()`` is a view of the data set's element dict; its ``mapping`` looks a tag up
    # without pydicom's per-access Tag() conversion.
    elem = ds.items().mapping.get(tag)  # type: ignore[attr-defined]
    if isinstance(elem, RawDataElement) and isinstance(elem.value, bytes):
        return elem, elem.value
    return None


def _converted(ds: Dataset, tag: int) -> Any:
    if ds.items().mapping.get(tag) is None:  # type: ignore[attr-defined]
        return None
    elem = ds.get(tag)
    return None if elem is None else elem.value


def strings(ds: Dataset, tag: int) -> list[str] | None:
    """The backslash-separated components of a text value, trailing padding removed."""
    found = _raw(ds, tag)
    if found is not None and (found[0].VR or _vr_of(tag)) in _TEXT_VRS:
        text = found[1].decode("latin-1").rstrip("\x00 ")
        return [part.strip("\x00 ") for part in text.split("\\")] if text else []
    value = _converted(ds, tag)
    if value is None:
        return None
    if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
        return [str(value)]
    return [str(v) for v in value]


def floats(ds: Dataset, tag: int) -> list[float] | None:
    """A numeric value (DS, IS or a binary number type) as floats; None when absent or unparsable."""
    found = _raw(ds, tag)
    if found is not None and (found[0].VR or _vr_of(tag)) in _BINARY:
        elem, value = found
        code = _BINARY[elem.VR or _vr_of(tag)]
        count = len(value) // struct.calcsize(code)
        endian = "<" if elem.is_little_endian else ">"
        return [
            float(v) for v in struct.unpack(f"{endian}{count}{code}", value[: count * struct.calcsize(code)])
        ]
    parts = strings(ds, tag)
    if parts is None:
        return None
    try:
        return [float(p) for p in parts if p]
    except ValueError:
        return None


def first_float(ds: Dataset, tag: int) -> float | None:
    values = floats(ds, tag)
    return values[0] if values else None
