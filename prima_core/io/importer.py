"""``open_studies``: the one entry point that turns a path into studies, series and a skip report."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from prima_core.errors import NoImagesError
from prima_core.io.assemble import build_studies
from prima_core.io.dicom_header import FileHeader, Rejected, read_header
from prima_core.io.dicom_text import SeriesText
from prima_core.io.nifti import open_nifti
from prima_core.io.sources import InputKind, SourceFiles, resolve
from prima_core.io.study import ImportResult, SkippedFile
from prima_core.progress import CancelToken, ProgressCallback, check, report

_REPORT_EVERY = 50


def open_studies(
    path: str | Path, *, progress: ProgressCallback | None = None, cancel: CancelToken | None = None
) -> ImportResult:
    """Find every study under ``path`` and describe its series without reading any pixels.

    ``path`` may be a folder (searched recursively), a DICOMDIR file or a folder holding
    one, a ``.zip`` archive, a single DICOM file, or a ``.nii``/``.nii.gz`` file. Each
    returned ``Series`` reads its voxels only when ``load()`` is called. Files that cannot
    be used are listed in ``ImportResult.skipped`` with a one-line reason; localizers are
    listed there too. Inputs are opened read-only.

    Raises
    ------
    NoImagesError
        When nothing under ``path`` can be shown as an image volume.
    Cancelled
        When ``cancel`` is set during the scan.
    """
    path = Path(path).expanduser()
    source = resolve(path)
    if source.kind == InputKind.NIFTI:
        report(progress, "import", 1.0, "NIfTI header read")
        return open_nifti(path)
    result = ImportResult(skipped=list(source.skipped), files_scanned=len(source.files))
    headers = _scan(source, result.skipped, progress, cancel)
    report(progress, "import", 1.0, f"{len(headers)} image files, grouping series")
    result.studies = build_studies(headers, result.skipped, keep_alive=source.keep_alive)
    if source.kind == InputKind.ZIP:
        for study in result.studies:
            study.source = path  # not the private unpacked copy
    if not result.studies:
        raise NoImagesError(_no_images_message(path, result.skipped))
    return result


def _scan(
    source: SourceFiles,
    skipped: list[SkippedFile],
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
) -> list[FileHeader]:
    headers = []
    seen: dict[str, str] = {}  # SOPInstanceUID -> the file that brought it first
    series_cache: dict[str, SeriesText] = {}
    total = len(source.files)
    for n, (file, shown) in enumerate(source.files):
        check(cancel)
        if n % _REPORT_EVERY == 0:
            report(progress, "import", n / max(total, 1), f"reading headers {n}/{total}")
        try:
            header = read_header(file, shown, series_cache=series_cache)
        except Rejected as exc:
            skipped.append(SkippedFile(shown, str(exc)))
            continue
        if header.sop_uid and header.sop_uid in seen:
            skipped.append(SkippedFile(shown, f"duplicate of {seen[header.sop_uid]} (same SOPInstanceUID)"))
            continue
        if header.sop_uid:
            seen[header.sop_uid] = shown
        headers.append(header)
    return headers


def _no_images_message(path: Path, skipped: list[SkippedFile]) -> str:
    if not skipped:
        return f"no images found in {path}"
    reasons = Counter(s.reason for s in skipped).most_common(3)
    summary = "; ".join(f"{count} {reason}" for reason, count in reasons)
    return f"no images found in {path} ({len(skipped)} file(s) skipped: {summary})"
