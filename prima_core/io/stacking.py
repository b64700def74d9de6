"""Group frames into stacks that each form one volume.

A DICOM series (one SeriesInstanceUID) may hold several volumes: echoes, time points,
b-values and directions, orientations, matrix sizes, or enhanced-file stacks. Each
becomes its own stack; the reason is kept so that the user (and the model's name, which
stays the series name) can tell them apart. Localizers/scouts are set aside.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from prima_core.io.dicom_header import FileHeader
from prima_core.io.frames import FrameInfo, slice_normal

ORIENTATION_TOLERANCE = 5e-3  # max abs difference of direction cosines within one stack
LOCALIZER_MAX_SLICES = 5  # per orientation, in a series with mixed orientations
POSITION_TOLERANCE_MM = 0.01
_LOCALIZER_WORDS = re.compile(r"LOCALI[SZ]ER|\bSCOUT|\bSURVEY|3[ -]?PLANE", re.IGNORECASE)


@dataclass
class Slice:
    """One frame and the file it comes from."""

    header: FileHeader
    frame: FrameInfo


@dataclass
class Stack:
    """Frames that form one volume (not yet sorted)."""

    study_uid: str
    series_uid: str
    slices: list[Slice]
    split: dict[str, Any] = field(default_factory=dict)  # what distinguishes it inside its series
    warnings: list[str] = field(default_factory=list)


_SPLIT_LABELS = {
    "size": lambda v: f"matrix {v[1]}x{v[0]}",
    "orientation": lambda v: f"orientation {v + 1}",
    "echo": lambda v: f"echo {v:g}",
    "echo_time": lambda v: f"TE {v:g} ms",
    "temporal": lambda v: f"time point {v:g}",
    "b_value": lambda v: f"b={v:g}",
    "b_direction": lambda v: "direction (" + ", ".join(f"{c:g}" for c in v) + ")",
    "stack_id": lambda v: f"stack {v}",
    "repetition": lambda v: f"repetition {v + 1}",
}


def group_series(headers: list[FileHeader]) -> dict[tuple[str, str], list[Slice]]:
    """Frames by (StudyInstanceUID, SeriesInstanceUID), in the order found."""
    series: dict[tuple[str, str], list[Slice]] = defaultdict(list)
    for header in headers:
        for frame in header.frames:
            series[(header.study_uid, header.series_uid)].append(Slice(header, frame))
    return series


def _orientation_clusters(slices: list[Slice]) -> list[int]:
    """A cluster index per slice; slices whose orientations agree within tolerance share one."""
    reps: list[np.ndarray | None] = []
    labels = []
    for s in slices:
        ori = s.frame.orientation
        for n, rep in enumerate(reps):
            same = (ori is None and rep is None) or (
                ori is not None and rep is not None and np.max(np.abs(ori - rep)) < ORIENTATION_TOLERANCE
            )
            if same:
                labels.append(n)
                break
        else:
            reps.append(ori)
            labels.append(len(reps) - 1)
    return labels


def _key(s: Slice, orientation: int) -> dict[str, Any]:
    f = s.frame
    return {
        "size": (s.header.rows, s.header.columns),
        "orientation": orientation,
        "echo": f.echo,
        "echo_time": f.echo_time,
        "temporal": f.temporal,
        "b_value": f.b_value,
        "b_direction": f.b_direction,
        "stack_id": f.stack_id,
    }


def split_localizers(slices: list[Slice]) -> tuple[list[Slice], list[Slice]]:
    """(volume slices, localizer slices) of one series.

    Localizers are frames whose ImageType says LOCALIZER, and whole series with at most
    ``LOCALIZER_MAX_SLICES`` frames per orientation that either mix orientations (the usual
    three-plane scout) or are named like one (localizer, scout, survey).
    """
    marked = [s for s in slices if s.header.is_localizer]
    rest = [s for s in slices if not s.header.is_localizer]
    labels = _orientation_clusters(rest)
    counts = np.bincount(labels) if labels else np.array([], dtype=int)
    if len(counts) and counts.max() <= LOCALIZER_MAX_SLICES:
        text = rest[0].header.text
        named = _LOCALIZER_WORDS.search(f"{text.get('SeriesDescription', '')} {text.get('ProtocolName', '')}")
        if len(counts) >= 2 or named:
            return [], marked + rest
    return rest, marked


def split_series(study_uid: str, series_uid: str, slices: list[Slice]) -> list[Stack]:
    """Split one series into stacks that each form a single volume."""
    labels = _orientation_clusters(slices)
    keys = [_key(s, label) for s, label in zip(slices, labels, strict=True)]
    varying = [name for name in keys[0] if len({_hashable(k[name]) for k in keys}) > 1]
    groups: dict[tuple, list[Slice]] = defaultdict(list)
    for s, key in zip(slices, keys, strict=True):
        groups[tuple(_hashable(key[name]) for name in varying)].append(s)
    stacks = []
    for group_key, members in sorted(groups.items(), key=lambda kv: tuple(_sort_key(v) for v in kv[0])):
        split = dict(zip(varying, group_key, strict=True))
        stacks.extend(_split_repeats(Stack(study_uid, series_uid, members, split=split)))
    for part, stack in enumerate(stacks, start=1):
        if len(stacks) > 1:
            stack.split["label"] = ", ".join(
                _SPLIT_LABELS[k](v) for k, v in stack.split.items() if k in _SPLIT_LABELS and v is not None
            )
            stack.split["part"] = f"{part} of {len(stacks)}"
            stack.split["index"] = part
    return stacks


def _sort_key(value: Any) -> tuple:
    if value is None:
        return (2, 0.0, "")
    if isinstance(value, int | float):
        return (0, float(value), "")
    return (1, 0.0, str(value))


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list | np.ndarray) else value


def _projection(s: Slice) -> float | None:
    f = s.frame
    if f.position is None or f.orientation is None:
        return None
    return float(np.dot(f.position, slice_normal(f.orientation)))


def _split_repeats(stack: Stack) -> list[Stack]:
    """Several frames at one position: split into repetitions, or keep the first of each."""
    by_position: dict[float, list[Slice]] = defaultdict(list)
    for s in stack.slices:
        proj = _projection(s)
        if proj is None:
            return [stack]
        by_position[round(proj / POSITION_TOLERANCE_MM)].append(s)
    counts = {len(v) for v in by_position.values()}
    if counts == {1}:
        return [stack]

    def order(s: Slice) -> tuple:
        f = s.frame
        return (
            f.acquisition_order if f.acquisition_order is not None else 0.0,
            f.instance_number or 0,
            str(s.header.path),
            f.index,
        )

    for members in by_position.values():
        members.sort(key=order)
    if len(counts) == 1:
        repeats = counts.pop()
        return [
            Stack(
                stack.study_uid,
                stack.series_uid,
                [m[r] for m in by_position.values()],
                split={**stack.split, "repetition": r},
            )
            for r in range(repeats)
        ]
    dropped = sum(len(m) - 1 for m in by_position.values())
    stack.slices = [m[0] for m in by_position.values()]
    stack.warnings.append(f"{dropped} frame(s) at an already-used slice position were left out")
    return [stack]
