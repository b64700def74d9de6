"""Demo phantom generation speed: whole studies, and our DICOM writer vs pydicom's ``save_as``.

Usage: ``python benchmarks/bench_demo_study.py [--studies N]``

1. Template: loading the shipped MNI152 maps and deriving the head (once per process).
2. Studies: ``generate_demo_study`` for N random seeds (random findings and routine protocol,
   4-7 series), wall and CPU time each, median and maximum; the target is under 3 s per study
   on one core. CPU time is reported beside wall time because a busy machine inflates wall time.
3. DICOM writing: one 30-slice 320 x 320 series written by ``write_series`` (shared elements
   encoded once) and by building each slice's full ``Dataset`` and calling ``save_as`` (the
   obvious way); the files are byte-identical (tested), the ratio is printed.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from prima_core.demo.dicom_export import (  # noqa: E402
    SeriesInfo,
    StudyInfo,
    _common,
    _ds_number,
    stable_uid,
    write_series,
)
from prima_core.demo.phantom_template import load_template  # noqa: E402
from prima_core.demo.study import generate_demo_study  # noqa: E402


def _timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def _save_as_each_slice(pixels, affine, folder: Path, study: StudyInfo, series: SeriesInfo) -> None:
    """The obvious writer: a complete Dataset per slice, written by pydicom."""
    folder.mkdir(parents=True)
    common = _common(study, series, pixels, affine)
    for k in range(pixels.shape[0]):
        position = affine[:3, :3] @ np.array([0.0, 0.0, k]) + affine[:3, 3]
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = MRImageStorage
        ds.file_meta.MediaStorageSOPInstanceUID = stable_uid(series.series_uid, "image", k)
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        for keyword, value in common.items():
            setattr(ds, keyword, value)
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
        ds.InstanceNumber = k + 1
        ds.ImagePositionPatient = [_ds_number(float(v)) for v in position]
        ds.SliceLocation = _ds_number(float(position[2]))
        ds.PixelData = pixels[k].astype("<u2").tobytes()
        ds.save_as(
            folder / f"IM{k + 1:04d}.dcm", enforce_file_format=True, implicit_vr=False, little_endian=True
        )


def bench_writer(work: Path) -> None:
    pixels = np.random.default_rng(0).integers(0, 3000, size=(30, 320, 320)).astype(np.uint16)
    affine = np.diag([0.7, 0.7, 5.0, 1.0])
    study = StudyInfo(
        study_uid=stable_uid("bench", "study"),
        frame_of_reference_uid=stable_uid("bench", "for"),
        patient_name="DEMO^BENCH",
        patient_id="DEMO-BENCH",
        description="MRI BRAIN WO CONTRAST",
        study_date="20240101",
    )
    series = SeriesInfo(stable_uid("bench", "series"), 1, "AX FLAIR", "AX FLAIR", 5.0, (500.0, 1000.0))
    ours, theirs = [], []
    for run in range(3):
        ours.append(
            _timed(
                lambda r=run: write_series(pixels, affine, folder=work / f"o{r}", study=study, series=series)
            )[1]
        )
        theirs.append(
            _timed(lambda r=run: _save_as_each_slice(pixels, affine, work / f"p{r}", study, series))[1]
        )
    o, t = statistics.median(ours), statistics.median(theirs)
    print(f"DICOM writer, 30 slices 320x320: ours {o * 1000:.0f} ms, save_as per slice {t * 1000:.0f} ms, "
          f"ratio ours/save_as {o / t:.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--studies", type=int, default=8)
    args = parser.parse_args()
    _, wall, cpu = _timed(load_template)
    print(f"template load + head derivation: {wall:.2f} s wall, {cpu:.2f} s CPU (once per process)")
    work = Path(tempfile.mkdtemp(prefix="bench_demo_"))
    try:
        walls, cpus = [], []
        for seed in range(1000, 1000 + args.studies):
            truth, wall, cpu = _timed(lambda s=seed: generate_demo_study(seed=s, out_dir=work / f"s{s}"))
            files = sum(s["files"] for s in truth.series)
            found = ", ".join(truth.findings) or "normal"
            timing = f"{wall:.2f} s wall, {cpu:.2f} s CPU"
            print(f"seed {seed}: {timing}, {len(truth.series)} series, {files} files, {found}")
            walls.append(wall)
            cpus.append(cpu)
            shutil.rmtree(work / f"s{seed}")
        median = f"median {statistics.median(walls):.2f} s wall / {statistics.median(cpus):.2f} s CPU"
        print(f"per study: {median}, max {max(walls):.2f} s wall / {max(cpus):.2f} s CPU")
        bench_writer(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
