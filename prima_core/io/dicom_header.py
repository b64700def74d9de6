"""Read one file's DICOM header (never its pixels) and decide whether it can become part of a volume.

Every refusal is a ``Rejected`` carrying a one-line reason for the user. The checks that
protect memory (absurd sizes, truncated pixel data) run here, before anything is allocated.
"""

from __future__ import annotations

import hashlib
import os
import struct
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.multival import MultiValue
from pydicom.pixels import get_decoder
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from prima_core.io.frames import FrameInfo, classic_frames, enhanced_frames, number, numbers
from prima_core.io.private_tags import classic_diffusion

MAX_IMAGE_BYTES = 2 * 1024**3  # per file and per series: refuse before allocating more
_PIXEL_TAGS = {0x7FE00010: "PixelData", 0x7FE00008: "FloatPixelData", 0x7FE00009: "DoubleFloatPixelData"}
_NATIVE_LE = {ExplicitVRLittleEndian, ImplicitVRLittleEndian}
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


class Rejected(Exception):
    """This file cannot be used; the message says why in one line."""


@dataclass
class FileHeader:
    """What the importer knows about one DICOM file after reading its header."""

    path: Path
    display: str
    study_uid: str
    series_uid: str
    sop_uid: str
    sop_class: str
    transfer_syntax: str
    rows: int
    columns: int
    n_frames: int
    bits_allocated: int
    bits_stored: int
    signed: bool
    photometric: str
    series_number: int | None
    image_type: tuple[str, ...]
    text: dict[str, str]
    timing: dict[str, float | None]  # RepetitionTime, EchoTime, InversionTime (ms)
    pixel_offset: int | None  # start of native little-endian PixelData value, when known
    frames: list[FrameInfo] = field(default_factory=list)

    @property
    def frame_bytes(self) -> int:
        return self.rows * self.columns * (self.bits_allocated // 8)

    @property
    def is_localizer(self) -> bool:
        return "LOCALIZER" in self.image_type


def _looks_like_raw_dicom(path: Path) -> bool:
    """A file without the DICM preamble that still starts like a DICOM data set (group 0002 or 0008)."""
    with open(path, "rb") as fp:
        head = fp.read(8)
    if len(head) < 8:
        return False
    group_le, group_be = struct.unpack("<H", head[:2])[0], struct.unpack(">H", head[:2])[0]
    return group_le in (0x0002, 0x0008) or group_be in (0x0002, 0x0008)


@dataclass
class _Parsed:
    ds: Dataset
    stop: int  # file offset where header reading stopped: the pixel element, if any
    head: bytes  # the 12 bytes found there
    size: int  # file size in bytes


def _parse(path: Path) -> _Parsed:
    """Read the header data set and peek at the element that follows it."""
    with open(path, "rb") as fp, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        size = os.fstat(fp.fileno()).st_size
        if size == 0:
            raise Rejected("empty file")
        try:
            try:
                ds = pydicom.dcmread(fp, stop_before_pixels=True)
            except InvalidDicomError:
                if not _looks_like_raw_dicom(path):
                    raise Rejected("not a DICOM file") from None
                fp.seek(0)
                ds = pydicom.dcmread(fp, stop_before_pixels=True, force=True)
        except Rejected:
            raise
        except Exception as exc:  # pydicom raises many types on corrupt headers
            raise Rejected(f"unreadable DICOM header ({type(exc).__name__}: {exc})") from None
        stop = fp.tell()
        head = fp.read(12)
    if any("End of file" in str(w.message) or "EOF" in str(w.message) for w in caught) or _cut_short(
        ds, head
    ):
        raise Rejected("truncated DICOM file (the header ends early)")
    return _Parsed(ds, stop, head, size)


def _cut_short(ds: Dataset, head: bytes) -> bool:
    """pydicom stops quietly at a file's end; spot an element cut in two or a missing data set."""
    if 0 < len(head) < 8 or len(ds) == 0:
        return True
    last = ds.get_item(max(ds.keys()))
    return (
        isinstance(last, RawDataElement) and isinstance(last.value, bytes) and len(last.value) < last.length
    )


def _pixel_element(parsed: _Parsed, ts: UID) -> tuple[int, int | None]:
    """(tag, start of the value) of the pixel element found where header reading stopped.

    The start is None for encapsulated (compressed) data and for deflated files, whose
    stream positions say nothing about the file. Raises ``Rejected`` when there is no pixel
    element or its declared length runs past the end of the file.
    """
    ds, offset, head = parsed.ds, parsed.stop, parsed.head
    if ts.is_deflated:
        return 0x7FE00010, None
    implicit, little = ds.original_encoding
    if implicit is None:
        implicit, little = False, True
    endian = "<" if little else ">"
    if len(head) < 8:
        raise Rejected(f"no pixel data ({_sop_name(ds)})")
    group, elem = struct.unpack(endian + "HH", head[:4])
    tag = group << 16 | elem
    if tag not in _PIXEL_TAGS:
        raise Rejected(f"no pixel data ({_sop_name(ds)})")
    if implicit:
        length, value_start = struct.unpack(endian + "I", head[4:8])[0], offset + 8
    elif head[4:6] in (b"OB", b"OW", b"OF", b"OD", b"UN", b"OL", b"OV") and len(head) == 12:
        length, value_start = struct.unpack(endian + "I", head[8:12])[0], offset + 12
    else:
        length, value_start = struct.unpack(endian + "H", head[6:8])[0], offset + 8
    if length == 0xFFFFFFFF:
        return tag, None
    available = parsed.size - value_start
    if length > available:
        raise Rejected(f"truncated DICOM file: pixel data needs {length} bytes, only {available} present")
    if tag == 0x7FE00010 and length < _native_bytes(ds):
        raise Rejected(f"pixel data holds {length} bytes, fewer than the image size declares")
    return tag, value_start


def _native_bytes(ds: Dataset) -> int:
    """Bytes an uncompressed PixelData value needs for the declared size."""
    rows, cols = int(number(ds.get("Rows")) or 0), int(number(ds.get("Columns")) or 0)
    frames = int(number(ds.get("NumberOfFrames")) or 1)
    samples = int(number(ds.get("SamplesPerPixel")) or 1)
    return rows * cols * frames * samples * (int(number(ds.get("BitsAllocated")) or 8) // 8)


def _sop_class(ds: Dataset) -> str:
    sop = ds.get("SOPClassUID")
    meta = getattr(ds, "file_meta", None)
    if not sop and meta is not None:
        sop = meta.get("MediaStorageSOPClassUID")
    return str(sop or "")


def _sop_name(ds: Dataset) -> str:
    sop = _sop_class(ds)
    return UID(sop).name if sop else "unknown SOP class"


def _transfer_syntax(ds: Dataset) -> UID:
    meta = getattr(ds, "file_meta", None)
    ts = meta.get("TransferSyntaxUID") if meta is not None else None
    if ts:
        return UID(str(ts))
    implicit, little = ds.original_encoding
    if implicit:
        return ImplicitVRLittleEndian
    return ExplicitVRLittleEndian if little in (True, None) else UID("1.2.840.10008.1.2.2")


def _check_image(ds: Dataset, ts: UID) -> tuple[int, int, int, int]:
    rows, cols = int(number(ds.get("Rows")) or 0), int(number(ds.get("Columns")) or 0)
    frames = int(number(ds.get("NumberOfFrames")) or 1)
    bits = int(number(ds.get("BitsAllocated")) or 0)
    if rows <= 0 or cols <= 0:
        raise Rejected("no image size (Rows/Columns missing or zero)")
    if frames <= 0:
        raise Rejected(f"invalid NumberOfFrames {frames}")
    samples = int(number(ds.get("SamplesPerPixel")) or 1)
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip().upper()
    total = rows * cols * frames * samples * max(bits, 8) // 8
    if total > MAX_IMAGE_BYTES:
        raise Rejected(
            f"image too large: {cols} x {rows} x {frames} frames x {samples * max(bits, 8) // 8} bytes "
            f"= {total / 1024**3:.1f} GiB (limit {MAX_IMAGE_BYTES // 1024**3} GiB)"
        )
    if samples != 1 or photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise Rejected(f"colour image ({photometric}, {samples} samples per pixel): not a grayscale volume")
    if bits not in (8, 16, 32):
        raise Rejected(f"unsupported Bits Allocated {bits} (8, 16 or 32 are read)")
    try:
        decoder = get_decoder(ts)
    except NotImplementedError:
        raise Rejected(f"unknown transfer syntax {ts}") from None
    if not decoder.is_available:
        raise Rejected(f"cannot decode transfer syntax {ts.name}: no decoder installed")
    return rows, cols, frames, bits


def _text(ds: Dataset) -> dict[str, str]:
    out = {}
    for keyword in TEXT_KEYWORDS:
        value = ds.get(keyword)
        if value is None:
            continue
        text = "\\".join(str(v) for v in value) if isinstance(value, MultiValue | list) else str(value)
        out[keyword] = text.strip()
    return out


def read_header(path: Path, display: str) -> FileHeader:
    """Read ``path``'s header and check it can be stacked; raise ``Rejected`` with the reason if not."""
    try:
        parsed = _parse(path)
    except OSError as exc:
        raise Rejected(f"cannot read the file ({exc.strerror or exc})") from None
    ds = parsed.ds
    if _sop_class(ds) == "1.2.840.10008.1.3.10":
        raise Rejected("DICOMDIR index (lists files, holds no image)")
    if "Rows" not in ds:
        raise Rejected(f"no pixel data ({_sop_name(ds)})")
    ts = _transfer_syntax(ds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _build(path, display, parsed, ts)


def _build(path: Path, display: str, parsed: _Parsed, ts: UID) -> FileHeader:
    ds = parsed.ds
    rows, cols, n_frames, bits = _check_image(ds, ts)
    tag, value_start = _pixel_element(parsed, ts)
    if tag != 0x7FE00010:
        raise Rejected(f"{_PIXEL_TAGS[tag]} (floating-point pixels) is not supported")
    stored = int(number(ds.get("BitsStored")) or bits)
    header = FileHeader(
        path=path,
        display=display,
        study_uid=str(ds.get("StudyInstanceUID", "") or "") or _pseudo_uid(f"study|{path.parent}"),
        series_uid=str(ds.get("SeriesInstanceUID", "") or "") or _pseudo_uid(f"series|{path}"),
        sop_uid=str(ds.get("SOPInstanceUID", "") or ""),
        sop_class=_sop_class(ds),
        transfer_syntax=str(ts),
        rows=rows,
        columns=cols,
        n_frames=n_frames,
        bits_allocated=bits,
        bits_stored=min(max(stored, 1), bits),
        signed=int(number(ds.get("PixelRepresentation")) or 0) == 1,
        photometric=str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip().upper(),
        series_number=_int_or_none(ds.get("SeriesNumber")),
        image_type=tuple(str(v).upper() for v in (_as_list(ds.get("ImageType")))),
        text=_text(ds),
        timing=_timing(ds),
        pixel_offset=value_start if ts in _NATIVE_LE else None,
    )
    if "PerFrameFunctionalGroupsSequence" in ds or "SharedFunctionalGroupsSequence" in ds:
        header.frames = enhanced_frames(ds, n_frames)
    else:
        header.frames = classic_frames(ds, n_frames, classic_diffusion(ds))
    return header


def _pseudo_uid(seed: str) -> str:
    """A stable stand-in UID (2.25 root) for a file that lacks one: its folder or its path."""
    return f"2.25.{int(hashlib.sha256(seed.encode()).hexdigest()[:30], 16)}"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    try:
        return list(value)
    except TypeError:
        return [value]


def _int_or_none(value: Any) -> int | None:
    result = number(value)
    return int(result) if result is not None else None


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
    if timing["EchoTime"] is None:
        timing["EchoTime"] = number(ds.get("EffectiveEchoTime"))
    return timing


__all__ = ["FileHeader", "MAX_IMAGE_BYTES", "Rejected", "numbers", "read_header"]
