"""Read one file's DICOM header (never its pixels) and decide whether it can become part of a volume.

Every refusal is a ``Rejected`` carrying a one-line reason for the user. The checks that
protect memory (absurd sizes, truncated pixel data) run here, before anything is allocated.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.pixels import get_decoder
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from prima_core.io.dicom_parse import PIXEL_TAGS, Parsed, Rejected, parse, pixel_element, sop_class, sop_name
from prima_core.io.dicom_parse import transfer_syntax as find_transfer_syntax
from prima_core.io.dicom_text import SeriesText, series_text
from prima_core.io.frames import FrameInfo, classic_frames, enhanced_frames
from prima_core.io.private_tags import classic_diffusion
from prima_core.io.raw_values import first_float, strings

MAX_IMAGE_BYTES = 2 * 1024**3  # per file and per series: refuse before allocating more
_NATIVE_LE = {ExplicitVRLittleEndian, ImplicitVRLittleEndian}
_DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"
_ENHANCED_TAGS = (0x52009229, 0x52009230)  # Shared / PerFrame FunctionalGroupsSequence


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
    series_text: SeriesText  # shared by the files of one series
    pixel_offset: int | None  # start of native little-endian PixelData value, when known
    frames: list[FrameInfo] = field(default_factory=list)

    @property
    def text(self) -> dict[str, str]:
        return self.series_text.text

    @property
    def timing(self) -> dict[str, float | None]:
        return self.series_text.timing

    @property
    def frame_bytes(self) -> int:
        return self.rows * self.columns * (self.bits_allocated // 8)

    @property
    def is_localizer(self) -> bool:
        return "LOCALIZER" in self.image_type


@lru_cache(maxsize=64)
def _decoder_problem(ts: str) -> str | None:
    try:
        decoder = get_decoder(UID(ts))
    except NotImplementedError:
        return f"unknown transfer syntax {ts}"
    if not decoder.is_available:
        return f"cannot decode transfer syntax {UID(ts).name}: no decoder installed"
    return None


def _int(ds: Dataset, tag: int, default: int) -> int:
    value = first_float(ds, tag)
    return int(value) if value is not None else default


def _int_or_none(ds: Dataset, tag: int) -> int | None:
    value = first_float(ds, tag)
    return int(value) if value is not None else None


def _text1(ds: Dataset, tag: int, default: str = "") -> str:
    values = strings(ds, tag)
    return values[0] if values else default


def _check_image(ds: Dataset, ts: UID) -> tuple[int, int, int, int]:
    rows, cols = _int(ds, 0x00280010, 0), _int(ds, 0x00280011, 0)
    frames, bits = _int(ds, 0x00280008, 1), _int(ds, 0x00280100, 0)
    if rows <= 0 or cols <= 0:
        raise Rejected("no image size (Rows/Columns missing or zero)")
    if frames <= 0:
        raise Rejected(f"invalid NumberOfFrames {frames}")
    samples = _int(ds, 0x00280002, 1)
    photometric = _text1(ds, 0x00280004, "MONOCHROME2").upper()
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
    problem = _decoder_problem(str(ts))
    if problem:
        raise Rejected(problem)
    return rows, cols, frames, bits


def read_header(path: Path, display: str, *, series_cache: dict[str, SeriesText] | None = None) -> FileHeader:
    """Read ``path``'s header and check it can be stacked; raise ``Rejected`` with the reason if not.

    ``series_cache`` (SeriesInstanceUID -> SeriesText) lets the files of one series share
    the descriptive text read from the first of them.
    """
    try:
        parsed = parse(path)
    except OSError as exc:
        raise Rejected(f"cannot read the file ({exc.strerror or exc})") from None
    ds = parsed.ds
    if sop_class(ds) == _DICOMDIR_SOP_CLASS:
        raise Rejected("DICOMDIR index (lists files, holds no image)")
    if 0x00280010 not in ds:
        raise Rejected(f"no pixel data ({sop_name(ds)})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _build(path, display, parsed, find_transfer_syntax(ds), series_cache)


def _build(
    path: Path, display: str, parsed: Parsed, ts: UID, series_cache: dict[str, SeriesText] | None
) -> FileHeader:
    ds = parsed.ds
    rows, cols, n_frames, bits = _check_image(ds, ts)
    tag, value_start = pixel_element(parsed, ts)
    if tag != 0x7FE00010:
        raise Rejected(f"{PIXEL_TAGS[tag]} (floating-point pixels) is not supported")
    series_uid = _text1(ds, 0x0020000E) or _pseudo_uid(f"series|{path}")
    text = series_cache.get(series_uid) if series_cache is not None else None
    if text is None:
        text = series_text(ds)
        if series_cache is not None:
            series_cache[series_uid] = text
    header = FileHeader(
        path=path,
        display=display,
        study_uid=_text1(ds, 0x0020000D) or _pseudo_uid(f"study|{path.parent}"),
        series_uid=series_uid,
        sop_uid=_text1(ds, 0x00080018),
        sop_class=sop_class(ds),
        transfer_syntax=str(ts),
        rows=rows,
        columns=cols,
        n_frames=n_frames,
        bits_allocated=bits,
        bits_stored=min(max(_int(ds, 0x00280101, bits), 1), bits),
        signed=_int(ds, 0x00280103, 0) == 1,
        photometric=_text1(ds, 0x00280004, "MONOCHROME2").upper(),
        series_number=_int_or_none(ds, 0x00200011),
        image_type=tuple(v.upper() for v in strings(ds, 0x00080008) or []),
        series_text=text,
        pixel_offset=value_start if ts in _NATIVE_LE else None,
    )
    if any(t in ds for t in _ENHANCED_TAGS):
        header.frames = enhanced_frames(ds, n_frames)
    else:
        header.frames = classic_frames(ds, n_frames, classic_diffusion(ds))
    return header


def _pseudo_uid(seed: str) -> str:
    """A stable stand-in UID (2.25 root) for a file that lacks one: its folder or its path."""
    return f"2.25.{int(hashlib.sha256(seed.encode()).hexdigest()[:30], 16)}"


__all__ = ["FileHeader", "MAX_IMAGE_BYTES", "Rejected", "read_header"]
