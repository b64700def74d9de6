"""Diffusion b-values and directions from classic files, standard tags first, then vendor private tags.

A DWI series usually arrives as one SeriesInstanceUID holding every b-value (and, for
Siemens/GE/Philips, often only in private tags); the importer splits it into one stack per
b-value and direction, so it must find them.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from prima_core.io.frames import number, numbers
from prima_core.io.raw_values import first_float, floats

# (group, private creator, element offset, kind)
_B_VALUE_TAGS = (
    (0x0019, "SIEMENS MR HEADER", 0x0C, "b"),
    (0x0043, "GEMS_PARM_01", 0x39, "ge_b"),
    (0x2001, "Philips Imaging DD 001", 0x03, "b"),
)
_DIRECTION_TAGS = ((0x0019, "SIEMENS MR HEADER", 0x0E),)


def _private_value(ds: Dataset, group: int, creator: str, offset: int) -> Any:
    try:
        block = ds.private_block(group, creator)
        element = block[offset]
    except (KeyError, ValueError):
        return None
    return element.value


def _decode(value: Any, count: int) -> np.ndarray | None:
    """Numbers from a private value that may still be raw bytes (VR UN)."""
    if isinstance(value, bytes):
        text = value.decode("ascii", "ignore").strip("\x00 ")
        if text and all(c in "0123456789+-.eE\\ " for c in text):
            parts = [p for p in text.split("\\") if p.strip()]
            value = parts
        elif len(value) == 8 * count:
            value = struct.unpack(f"<{count}d", value)
        elif len(value) == 4 * count:
            value = struct.unpack(f"<{count}f", value)
        else:
            return None
    if count == 1:
        result = number(value)
        return None if result is None else np.array([result])
    return None if isinstance(value, str) else numbers(value, count)


def classic_diffusion(ds: Dataset) -> tuple[float | None, tuple[float, ...] | None]:
    """(b-value, rounded gradient direction) of a classic MR file, or Nones when it has none."""
    b_value = first_float(ds, 0x00189087)
    direction = numbers(floats(ds, 0x00189089), 3)
    if b_value is not None and direction is not None:
        return b_value, tuple(float(v) for v in np.round(direction, 3))
    groups = {int(tag) >> 16 for tag in ds.keys()}  # noqa: SIM118 - iterating a Dataset converts every element
    if b_value is None:
        for group, creator, offset, kind in _B_VALUE_TAGS:
            if group not in groups:
                continue
            raw = _private_value(ds, group, creator, offset)
            decoded = _decode(raw, 1) if raw is not None else None
            if decoded is None:
                continue
            b_value = float(decoded[0])
            if kind == "ge_b" and b_value >= 1e9:
                b_value = b_value % 1e9  # GE stores the b-value with a large offset in some versions
            break
    if direction is None:
        for group, creator, offset in _DIRECTION_TAGS:
            if group not in groups:
                continue
            raw = _private_value(ds, group, creator, offset)
            direction = _decode(raw, 3) if raw is not None else None
            if direction is not None:
                break
    rounded = tuple(float(v) for v in np.round(direction, 3)) if direction is not None else None
    return b_value, rounded
