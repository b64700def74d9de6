"""Turn what the user pointed at (folder, DICOMDIR, zip, NIfTI) into a list of files to scan.

Inputs are only ever read. A zip is unpacked into a private temporary folder (never next
to the user's file) that lives as long as any series loader still needs it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
import zipfile
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import pydicom

from prima_core.errors import NoImagesError, UserError
from prima_core.io.dicom_header import MAX_IMAGE_BYTES
from prima_core.io.study import SkippedFile

MAX_ZIP_BYTES = 64 * 1024**3  # refuse to unpack more than this from one archive


class InputKind(StrEnum):
    FOLDER = "folder"
    DICOMDIR = "DICOMDIR"
    ZIP = "zip"
    NIFTI = "NIfTI"
    FILE = "file"


class TempFolder:
    """A private temporary folder removed when the last object holding it is gone."""

    def __init__(self, prefix: str) -> None:
        self.path = Path(tempfile.mkdtemp(prefix=prefix))
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.path), True)

    def cleanup(self) -> None:
        self._finalizer()


@dataclass
class SourceFiles:
    """Files to scan, each with the name shown to the user, and what was already set aside."""

    kind: InputKind
    files: list[tuple[Path, str]] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    keep_alive: TempFolder | None = None


def is_nifti(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(".nii") or name.endswith(".nii.gz")


def resolve(path: Path) -> SourceFiles:
    """List the files behind ``path``; raise ``NoImagesError``/``UserError`` for unusable paths."""
    if not path.exists():
        raise NoImagesError(f"no images found in {path}: the path does not exist")
    if path.is_dir():
        dicomdir = next((p for p in path.iterdir() if p.name.upper() == "DICOMDIR" and p.is_file()), None)
        if dicomdir is not None:
            source = _from_dicomdir(dicomdir)
            if source is not None and source.files:
                return source  # an unreadable or stale index falls back to walking the folder
        return _walk(path)
    if is_nifti(path):
        return SourceFiles(InputKind.NIFTI, [(path, str(path))])
    if path.name.upper() == "DICOMDIR":
        source = _from_dicomdir(path)
        if source is None:
            raise UserError(f"{path}: DICOMDIR could not be read")
        return source
    if zipfile.is_zipfile(path):
        return _from_zip(path)
    return SourceFiles(InputKind.FILE, [(path, str(path))])


def _walk(folder: Path) -> SourceFiles:
    files = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            file = Path(root) / name
            if file.is_file():
                files.append((file, str(file)))
    return SourceFiles(InputKind.FOLDER, files)


def _from_dicomdir(dicomdir: Path) -> SourceFiles | None:
    """The files a DICOMDIR lists (missing ones reported); None when it cannot be read."""
    try:
        ds = pydicom.dcmread(dicomdir)
        records = list(ds.DirectoryRecordSequence)
    except Exception:  # an unreadable index: the caller falls back to walking the folder
        return None
    root = dicomdir.parent
    source = SourceFiles(InputKind.DICOMDIR)
    seen: set[Path] = set()
    for record in records:
        file_id = record.get("ReferencedFileID")
        if not file_id:
            continue
        parts = [str(file_id)] if isinstance(file_id, str) else [str(p) for p in file_id]
        file = _find_case_insensitive(root, parts)
        shown = str(root.joinpath(*parts))
        if file is None:
            source.skipped.append(SkippedFile(shown, "listed in the DICOMDIR but missing"))
        elif file not in seen:
            seen.add(file)
            source.files.append((file, shown))
    return source


def _find_case_insensitive(root: Path, parts: list[str]) -> Path | None:
    """CD/DVD file IDs are upper case; the mounted files may not be."""
    current = root
    for part in parts:
        candidate = current / part
        if not candidate.exists():
            matches = (
                [c for c in current.iterdir() if c.name.lower() == part.lower()] if current.is_dir() else []
            )
            if not matches:
                return None
            candidate = matches[0]
        current = candidate
    return current if current.is_file() else None


def _from_zip(archive: Path) -> SourceFiles:
    """Unpack ``archive``'s members into a private temporary folder under neutral names."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UserError(f"{archive}: not a readable zip archive ({exc})") from None
    with zf:
        members = [m for m in zf.infolist() if not m.is_dir()]
        total = sum(m.file_size for m in members)
        if total > MAX_ZIP_BYTES:
            raise UserError(f"{archive}: unpacks to {total / 1024**3:.1f} GiB, more than the 64 GiB allowed")
        temp = TempFolder("prima-zip-")
        if shutil.disk_usage(temp.path).free < total:
            temp.cleanup()
            raise UserError(f"{archive}: not enough free temporary disk space to unpack it")
        source = SourceFiles(InputKind.ZIP, keep_alive=temp)
        for n, member in enumerate(members):
            shown = f"{archive}/{member.filename}"
            if member.file_size > MAX_IMAGE_BYTES:
                source.skipped.append(SkippedFile(shown, "zip member larger than 2 GiB"))
                continue
            target = temp.path / f"{n:06d}.member"
            try:
                with zf.open(member) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1024 * 1024)
            except (RuntimeError, zipfile.BadZipFile, OSError, NotImplementedError) as exc:
                source.skipped.append(SkippedFile(shown, f"cannot unpack this zip member ({exc})"))
                continue
            source.files.append((target, shown))
    return source
