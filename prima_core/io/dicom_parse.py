"""Low-level reading of one DICOM file: its header data set, and where its pixel element starts.

Refusals are ``Rejected`` exceptions with a one-line reason for the user.
"""

from __future__ import annotations

import os
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from prima_core.io.raw_values import first_float, strings

PIXEL_TAGS = {0x7FE00010: "PixelData", 0x7FE00008: "FloatPixelData", 0x7FE00009: "DoubleFloatPixelData"}


class Rejected(Exception):
    """This file cannot be used; the message says why in one line."""


def _looks_like_raw_dicom(path: Path) -> bool:
    """A file without the DICM preamble that still starts like a DICOM data set (group 0002 or 0008)."""
    with open(path, "rb") as fp:
        head = fp.read(8)
    if len(head) < 8:
        return False
    group_le, group_be = struct.unpack("<H", head[:2])[0], struct.unpack(">H", head[:2])[0]
    return group_le in (0x0002, 0x0008) or group_be in (0x0002, 0x0008)


@dataclass
class Parsed:
    ds: Dataset
    stop: int  # file offset where header reading stopped: the pixel element, if any
    head: bytes  # the 12 bytes found there
    size: int  # file size in bytes


def parse(path: Path) -> Parsed:
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
    early_end = any("End of file" in str(w.message) or "EOF" in str(w.message) for w in caught)
    if early_end or _cut_short(ds, head):
        raise Rejected("truncated DICOM file (the header ends early)")
    return Parsed(ds, stop, head, size)


def _cut_short(ds: Dataset, head: bytes) -> bool:
    """pydicom stops quietly at a file's end; spot an element cut in two or a missing data set."""
    if 0 < len(head) < 8 or len(ds) == 0:
        return True
    last = ds.get_item(max(ds.keys()))
    return (
        isinstance(last, RawDataElement) and isinstance(last.value, bytes) and len(last.value) < last.length
    )


def pixel_element(parsed: Parsed, ts: UID) -> tuple[int, int | None]:
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
        raise Rejected(f"no pixel data ({sop_name(ds)})")
    group, elem = struct.unpack(endian + "HH", head[:4])
    tag = group << 16 | elem
    if tag not in PIXEL_TAGS:
        raise Rejected(f"no pixel data ({sop_name(ds)})")
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
    if tag == 0x7FE00010 and length < native_bytes(ds):
        raise Rejected(f"pixel data holds {length} bytes, fewer than the image size declares")
    return tag, value_start


def native_bytes(ds: Dataset) -> int:
    """Bytes an uncompressed PixelData value needs for the declared size."""
    rows, cols = int(first_float(ds, 0x00280010) or 0), int(first_float(ds, 0x00280011) or 0)
    frames = int(first_float(ds, 0x00280008) or 1)
    samples = int(first_float(ds, 0x00280002) or 1)
    return rows * cols * frames * samples * (int(first_float(ds, 0x00280100) or 8) // 8)


def sop_class(ds: Dataset) -> str:
    """SOPClassUID, or the file meta's MediaStorageSOPClassUID (a DICOMDIR has only the latter)."""
    sop = (strings(ds, 0x00080016) or [""])[0]
    meta = getattr(ds, "file_meta", None)
    if not sop and meta is not None:
        sop = str(meta.get("MediaStorageSOPClassUID", "") or "")
    return sop


def sop_name(ds: Dataset) -> str:
    sop = sop_class(ds)
    return UID(sop).name if sop else "unknown SOP class"


def transfer_syntax(ds: Dataset) -> UID:
    meta = getattr(ds, "file_meta", None)
    ts = meta.get("TransferSyntaxUID") if meta is not None else None
    if ts:
        return UID(str(ts))
    implicit, little = ds.original_encoding
    if implicit:
        return ImplicitVRLittleEndian
    return ExplicitVRLittleEndian if little in (True, None) else UID("1.2.840.10008.1.2.2")
