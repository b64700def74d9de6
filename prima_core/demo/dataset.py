"""Which phantom studies the demo model is trained and evaluated on, and how each is read.

Study design (deterministic in the study seed; slot = seed mod 20):

* 3 of 20 normal (no finding);
* 12 of 20 one primary finding, each of the 12 the generator can paint once per cycle;
* 4 of 20 two different primary findings, drawn at random;
* 1 of 20 a requested midline shift (the generator adds and enlarges a mass until the septum
  moves by 4 mm or more).

Labels that follow from the image (oedema, mass effect, midline shift, ventriculomegaly) come
with their hosts, as the generator measures them. The series protocol is the generator's own
random routine protocol (4-7 series).

Each study goes through the same path as a user's study: ``generate_demo_study`` writes DICOM,
``open_studies`` reads it, and the pipeline's own ``prepare_series`` / ``fill_values`` /
``select_tokens`` / ``cut_patches`` give the kept patches. Only those (raw intensities, the
volume's maximum, the token grid, and which patches touch a lesion mask) are kept on disk
(:mod:`.dataset_records`); the DICOM files and masks are deleted once read.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from prima_core.demo.dataset_lesions import lesion_points, patch_lesion_labels
from prima_core.demo.dataset_records import SeriesRecord, StudyRecord, save_record
from prima_core.demo.findings import PLANS
from prima_core.demo.study import generate_demo_study
from prima_core.demo.train_targets import diagnosis_names
from prima_core.io import open_studies
from prima_core.pipeline.order import release_order
from prima_core.pipeline.predict import model_study_description
from prima_core.pipeline.preprocess import prepare_series
from prima_core.pipeline.selection import fill_values, select_tokens
from prima_core.pipeline.tokens import cut_patches

CYCLE = 20
NORMAL_SLOTS = 3
PAIR_SLOTS = 4
MIDLINE_SHIFT = "structural_midline_shift"


def primary_findings() -> list[str]:
    """The findings the generator paints directly (the others are measured on the phantom)."""
    return sorted(PLANS)


def study_findings(seed: int) -> list[str]:
    """The findings requested for the study with this seed (see the module docstring)."""
    primaries = primary_findings()
    slot = seed % CYCLE
    if slot < NORMAL_SLOTS:
        return []
    slot -= NORMAL_SLOTS
    if slot < len(primaries):
        return [primaries[slot]]
    slot -= len(primaries)
    if slot < PAIR_SLOTS:
        rng = np.random.default_rng([seed, 9001])
        return sorted(rng.choice(primaries, size=2, replace=False).tolist())
    return [MIDLINE_SHIFT]


def read_series_records(
    study_dir: Path, *, lesions: Mapping[str, np.ndarray] | None = None
) -> tuple[str, list[SeriesRecord]]:
    """Import a written study and run the pipeline's preprocessing and token selection per series.

    Returns the study description Prima reads and one record per series, in the release's order.
    ``lesions`` (finding -> LPS points of its masks) adds per-patch lesion labels.
    """
    result = open_studies(study_dir)
    if len(result.studies) != 1:
        raise RuntimeError(f"{study_dir}: expected one study, found {len(result.studies)}")
    study = result.studies[0]
    records = []
    for series in release_order(study.series):
        prepared = prepare_series(series.load())
        padded = prepared.padded_array()
        selection = select_tokens(fill_values(padded, prepared.grid), prepared.grid)
        unique = np.unique(selection.kept)
        raw = cut_patches(padded, prepared.grid, unique)
        labels = None
        if lesions is not None:
            labels = patch_lesion_labels(prepared, unique, lesions, diagnosis_names())
        records.append(
            SeriesRecord.from_raw(
                name=series.model_name,
                grid=prepared.grid,
                selection=selection,
                raw_patches=raw,
                peak=float(np.float32(padded.max())),
                lesions=labels,
            )
        )
    return model_study_description(study), records


def extract_study(
    seed: int,
    findings: list[str],
    out_file: Path,
    *,
    series: list[str] | None = None,
    scratch: Path | None = None,
) -> Path:
    """Generate one phantom study as DICOM, read it back, and save its record to ``out_file``.

    ``series`` fixes the protocol (tests); by default the generator draws a routine protocol.
    """
    tmp = Path(tempfile.mkdtemp(prefix=f"demo-{seed}-", dir=scratch))
    try:
        truth = generate_demo_study(seed=seed, findings=findings, out_dir=tmp / "study", series=series)
        points = lesion_points(truth.lesions, tmp / "study")
        description, series = read_series_records(tmp / "study", lesions=points)
        record = StudyRecord(
            seed=seed,
            labels=list(truth.findings),
            requested=list(findings),
            description=description,
            series=series,
        )
        return save_record(record, out_file)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
