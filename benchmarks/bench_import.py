"""Import speed: ``prima_core.io.open_studies`` + loading every series vs SimpleITK (GDCM) on the same files.

Usage: ``python benchmarks/bench_import.py [--quick]``

1. Pixel throughput: a 3-series study, 500 slices of 512 x 512 16-bit in all (full run),
   written into a temporary folder twice (one copy per reader, so each reader's first read
   is of files it has not read before; the page cache cannot be dropped without root, so
   "fresh" means freshly written, not cold from disk). Then both readers are timed warm,
   alternating, and the median is reported. Ours = header scan + grouping + loading every
   series; SimpleITK = GDCM series discovery + ImageSeriesReader for every series.
2. Header scan: a folder of 5,000 small single-frame files; ours (``open_studies``, no
   pixels read) vs GDCM's series discovery (``GetGDCMSeriesIDs`` + file names per series)
   vs a bare ``pydicom.dcmread(stop_before_pixels=True)`` loop.

Prints MB/s and the ratio ours / SimpleITK time (below 1.0 means ours is faster).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, ExplicitVRLittleEndian, MRImageStorage, generate_uid

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from prima_core.io import open_studies  # noqa: E402


def write_series(
    folder: Path, *, n_slices: int, size: int, description: str, study_uid: str, seed: int
) -> int:
    """Write one axial series of ``n_slices`` ``size`` x ``size`` uint16 files; return pixel bytes."""
    rng = np.random.default_rng(seed)
    series_uid = generate_uid()
    base = (np.add.outer(np.arange(size), np.arange(size)) % 1024).astype(np.uint16)
    for k in range(n_slices):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = MRImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
        ds = FileDataset("", {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID, ds.SOPInstanceUID = MRImageStorage, meta.MediaStorageSOPInstanceUID
        ds.Modality, ds.StudyInstanceUID, ds.SeriesInstanceUID = "MR", study_uid, series_uid
        ds.SeriesDescription = ds.ProtocolName = description
        ds.PatientName, ds.PatientID, ds.InstanceNumber = "BENCH^IMPORT", "B1", k + 1
        ds.ImagePositionPatient = [-128.0, -128.0, -60.0 + 1.5 * k]
        ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        ds.PixelSpacing, ds.SliceThickness = [0.5, 0.5], 1.5
        ds.Rows = ds.Columns = size
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        noise = rng.integers(0, 64, size=(size, size), dtype=np.uint16)
        ds.PixelData = (base + noise + k).tobytes()
        pydicom.dcmwrite(
            folder / f"{description.replace(' ', '_')}_{k:05d}.dcm", ds, enforce_file_format=True
        )
    return n_slices * size * size * 2


def write_study(folder: Path, *, slices: list[int], size: int) -> int:
    folder.mkdir(parents=True)
    study_uid = generate_uid()
    names = ["AX T1", "AX T2", "AX FLAIR"]
    return sum(
        write_series(folder, n_slices=n, size=size, description=names[i], study_uid=study_uid, seed=i)
        for i, n in enumerate(slices)
    )


def ours(folder: Path) -> float:
    start = time.perf_counter()
    result = open_studies(folder)
    total = 0
    for study in result.studies:
        for series in study.series:
            total += series.load().array.nbytes
    elapsed = time.perf_counter() - start
    assert total > 0
    return elapsed


def simpleitk(folder: Path) -> float:
    import SimpleITK as sitk

    start = time.perf_counter()
    reader = sitk.ImageSeriesReader()
    total = 0
    for series_id in reader.GetGDCMSeriesIDs(str(folder)):
        reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder), series_id))
        total += sitk.GetArrayViewFromImage(reader.Execute()).nbytes
    elapsed = time.perf_counter() - start
    assert total > 0
    return elapsed


def header_scan(folder: Path) -> dict[str, float]:
    import SimpleITK as sitk

    times = {}
    start = time.perf_counter()
    open_studies(folder)
    times["ours (open_studies, no pixels)"] = time.perf_counter() - start
    start = time.perf_counter()
    reader = sitk.ImageSeriesReader()
    for series_id in reader.GetGDCMSeriesIDs(str(folder)):
        reader.GetGDCMSeriesFileNames(str(folder), series_id)
    times["GDCM series discovery (SimpleITK)"] = time.perf_counter() - start
    start = time.perf_counter()
    for path in sorted(folder.iterdir()):
        pydicom.dcmread(path, stop_before_pixels=True)
    times["bare pydicom dcmread loop"] = time.perf_counter() - start
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--repeats", type=int, default=3, help="warm runs per reader (median reported)")
    args = parser.parse_args()
    slices, size, n_small = ([20, 20, 20], 256, 500) if args.quick else ([200, 150, 150], 512, 5000)
    print(
        f"machine: {os.cpu_count()} CPU(s) (shared: other jobs may be running); "
        f"python {sys.version.split()[0]}"
    )
    root = Path(tempfile.mkdtemp(prefix="prima-bench-import-"))
    try:
        mb = write_study(root / "a", slices=slices, size=size) / 1e6
        write_study(root / "b", slices=slices, size=size)
        print(f"study: {sum(slices)} slices of {size}x{size} uint16 in 3 series, {mb:.0f} MB of pixels")
        fresh = {"ours": ours(root / "a"), "SimpleITK": simpleitk(root / "b")}
        warm: dict[str, list[float]] = {"ours": [], "SimpleITK": []}
        for _ in range(args.repeats):
            warm["ours"].append(ours(root / "a"))
            warm["SimpleITK"].append(simpleitk(root / "a"))
        for label, times in (
            ("first read", fresh),
            ("warm, median", {k: statistics.median(v) for k, v in warm.items()}),
        ):
            line = ", ".join(f"{k} {t:.3f} s ({mb / t:.0f} MB/s)" for k, t in times.items())
            print(f"{label:>13}: {line}; ratio ours/SimpleITK = {times['ours'] / times['SimpleITK']:.2f}x")
        shutil.rmtree(root / "a")
        shutil.rmtree(root / "b")
        small = root / "small"
        small.mkdir()
        per = n_small // 10
        for i in range(10):
            write_series(small, n_slices=per, size=32, description=f"S{i}", study_uid="1.2.3.4", seed=i)
        times = header_scan(small)
        print(f"header scan of {n_small} files (32x32):")
        for name, t in times.items():
            print(f"  {name:<36} {t:.3f} s  ({n_small / t:,.0f} files/s)")
        ours_t, gdcm_t = times["ours (open_studies, no pixels)"], times["GDCM series discovery (SimpleITK)"]
        print(f"  ratio ours/GDCM = {ours_t / gdcm_t:.2f}x")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
