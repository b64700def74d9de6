"""Read a stack's pixels into one preallocated array.

Uncompressed little-endian files are read straight from disk into the output array at the
pixel offset found while scanning headers (no per-file parse, no copy); everything else
goes through pydicom's decoders (pylibjpeg plugins for JPEG, JPEG-LS, JPEG 2000, RLE).

Stored values keep their integer type when every slice has slope 1 and intercept 0 (the
Prima pipeline truncates integer types and its results depend on it); otherwise the output
is float32 with the rescale applied. MONOCHROME1 is inverted so that bright means high.

A slice that cannot be read at load time (file truncated or changed since the scan,
corrupt compressed data) is filled with zeros and named in the series warnings; the load
fails with a ``UserError`` only when no slice at all can be read.
"""

from __future__ import annotations

import warnings as pywarnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pydicom
from pydicom.uid import UID

from prima_core.errors import UserError
from prima_core.io.dicom_header import FileHeader
from prima_core.io.stacking import Slice
from prima_core.io.volume import Volume


@dataclass
class LoadPlan:
    """Everything the loader needs, computed at scan time."""

    name: str
    slices: list[Slice]  # sorted along the normal
    affine: np.ndarray
    dtype: np.dtype
    metadata: dict[str, Any] = field(default_factory=dict)
    keep_alive: Any = None  # e.g. the temporary folder holding files unpacked from a zip


def stored_dtype(header: FileHeader) -> np.dtype:
    return np.dtype(f"{'<i' if header.signed else '<u'}{header.bits_allocated // 8}")


def output_dtype(slices: list[Slice]) -> np.dtype:
    """The stored integer type when no slice needs rescaling and all agree; float32 otherwise."""
    dtypes = {stored_dtype(s.header) for s in slices}
    plain = all(s.frame.slope == 1.0 and s.frame.intercept == 0.0 for s in slices)
    if plain and len(dtypes) == 1:
        return np.dtype(dtypes.pop()).newbyteorder("=")
    return np.dtype(np.float32)


def load_stack(plan: LoadPlan, warnings: list[str]) -> Volume:
    """Read every slice of ``plan`` into a new Volume; append unreadable-slice notes to ``warnings``."""
    first = plan.slices[0].header
    out = np.empty((len(plan.slices), first.rows, first.columns), dtype=plan.dtype)
    by_file: dict[str, list[tuple[int, Slice]]] = defaultdict(list)
    for k, s in enumerate(plan.slices):
        by_file[str(s.header.path)].append((k, s))
    failures: list[tuple[int, FileHeader, str]] = []
    for entries in by_file.values():
        header = entries[0][1].header
        if header.pixel_offset is not None:
            _read_native(header, entries, out, failures)
            continue
        try:
            _read_decoded(header, entries, out)
        except Exception as exc:  # any decode failure becomes a per-slice note
            failures.extend((k, header, _reason(exc)) for k, _ in entries)
    for k, _, _ in failures:
        out[k] = 0
    if len(failures) == len(plan.slices):
        _, header, reason = failures[0]
        raise UserError(f"series {plan.name}: no slice could be read ({header.display}: {reason})")
    warnings.extend(_failure_notes(failures))
    metadata = dict(plan.metadata)
    metadata["warnings"] = list(warnings)
    return Volume(out, plan.affine.copy(), metadata)


def _reason(exc: BaseException) -> str:
    """One line: decoder plugins report multi-line messages."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _failure_notes(failures: list[tuple[int, FileHeader, str]]) -> list[str]:
    """One warning per (file, reason), naming the 1-based slice numbers filled with zeros."""
    grouped: dict[tuple[str, str], list[int]] = defaultdict(list)
    for k, header, reason in failures:
        grouped[(header.display, reason)].append(k + 1)
    notes = []
    for (display, reason), ks in grouped.items():
        which = f"slice {ks[0]}" if len(ks) == 1 else f"{len(ks)} slices ({ks[0]}..{ks[-1]})"
        notes.append(f"{which} from {display}: pixels unreadable ({reason}); filled with zeros")
    return notes


def _finish(raw: np.ndarray, header: FileHeader, s: Slice, target: np.ndarray, *, fix_bits: bool) -> None:
    """Unused-bit masking, MONOCHROME1 inversion and rescale of one stored slice into ``target``."""
    if fix_bits and header.bits_stored < header.bits_allocated:
        shift = header.bits_allocated - header.bits_stored
        np.left_shift(raw, shift, out=raw)
        np.right_shift(raw, shift, out=raw)
    if header.photometric == "MONOCHROME1":
        if header.signed:
            np.invert(raw, out=raw)
        else:
            np.subtract((1 << header.bits_stored) - 1, raw, out=raw, casting="unsafe")
    if raw is target:
        return
    if target.dtype == np.float32:
        np.multiply(raw, np.float32(s.frame.slope), out=target, casting="unsafe")
        if s.frame.intercept:
            target += np.float32(s.frame.intercept)
    else:
        target[...] = raw


def _read_native(
    header: FileHeader,
    entries: list[tuple[int, Slice]],
    out: np.ndarray,
    failures: list[tuple[int, FileHeader, str]],
) -> None:
    """Read uncompressed little-endian frames straight from the file into ``out``."""
    dtype = stored_dtype(header)
    frame_bytes = header.frame_bytes
    offset = header.pixel_offset
    assert offset is not None
    try:
        fp = open(header.path, "rb")  # noqa: SIM115 - closed below, per-frame errors caught inside
    except OSError as exc:
        failures.extend((k, header, _reason(exc)) for k, _ in entries)
        return
    with fp:
        for k, s in entries:
            target = out[k]
            raw = target if out.dtype == dtype else np.empty((header.rows, header.columns), dtype=dtype)
            try:
                fp.seek(offset + s.frame.index * frame_bytes)
                got = fp.readinto(raw.data.cast("B"))
            except OSError as exc:
                failures.append((k, header, _reason(exc)))
                continue
            if got != frame_bytes:
                failures.append(
                    (k, header, f"file ends inside the pixel data ({got} of {frame_bytes} bytes)")
                )
                continue
            _finish(raw, header, s, target, fix_bits=True)


def _read_decoded(header: FileHeader, entries: list[tuple[int, Slice]], out: np.ndarray) -> None:
    """Decode frames with pydicom (compressed, big endian, deflated, no file meta)."""
    with pywarnings.catch_warnings():
        pywarnings.simplefilter("ignore")
        ds = pydicom.dcmread(header.path, force=True)
        if "PixelData" not in ds:
            raise ValueError("no pixel data")
        ds.file_meta.TransferSyntaxUID = UID(header.transfer_syntax)
        arr = ds.pixel_array
    if header.n_frames == 1:
        arr = arr[np.newaxis]
    expected = (header.n_frames, header.rows, header.columns)
    if arr.shape != expected:
        raise ValueError(f"decoded shape {arr.shape} is not the {expected} the header declares")
    dtype = stored_dtype(header)
    for k, s in entries:
        raw = np.array(arr[s.frame.index], dtype=dtype, copy=True)
        _finish(raw, header, s, out[k], fix_bits=False)


def make_loader(plan: LoadPlan, warnings: list[str]) -> Callable[[], Volume]:
    """A no-argument loader for ``Series.loader``."""

    def loader() -> Volume:
        return load_stack(plan, warnings)

    return loader
