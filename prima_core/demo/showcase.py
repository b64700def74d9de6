"""The viewer's built-in demo study: generated once into the user's cache, then reused.

``ensure_demo_study()`` returns a folder holding a fixed synthetic study (a large left-sided
high-grade glioma with oedema and mass effect; AX T1, AX T2 FSE, AX FLAIR, AX T1 POST and
AX DWI B1000). The first call generates it (a few seconds); later calls return at once. A study
counts as complete only when its marker file, written last, matches this version, so an
interrupted generation is redone rather than shown half-written.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from prima_core.demo.phantom_acquisition import SHOWCASE_SERIES
from prima_core.demo.study import GENERATOR_VERSION, DemoStudySpec, generate_demo_study
from prima_core.paths import cache_dir as user_cache_dir
from prima_core.progress import CancelToken, ProgressCallback

SHOWCASE = DemoStudySpec(
    seed=4242,
    findings=("structural_mass_effect", "tumor_adult_high_grade_glioma"),
    series=SHOWCASE_SERIES,
)
FOLDER_NAME = "demo_study_v1"
MARKER = ".demo_complete.json"


def _marker_content() -> dict:
    findings = list(SHOWCASE.findings or ())
    return {"generator_version": GENERATOR_VERSION, "seed": SHOWCASE.seed, "findings": findings}


def is_complete(folder: Path) -> bool:
    """Whether ``folder`` holds a finished showcase study of this version."""
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8")) == _marker_content()
    except (OSError, ValueError):
        return False


def ensure_demo_study(
    cache_dir: Path | None = None,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """The folder of the demo study under ``cache_dir`` (default: the user cache), made if missing."""
    base = Path(cache_dir) if cache_dir is not None else user_cache_dir()
    target = base / FOLDER_NAME
    if is_complete(target):
        return target
    base.mkdir(parents=True, exist_ok=True)
    scratch = base / f".{FOLDER_NAME}.partial-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        generate_demo_study(
            seed=SHOWCASE.seed,
            findings=list(SHOWCASE.findings or ()),
            series=list(SHOWCASE.series or ()),
            out_dir=scratch,
            progress=progress,
            cancel=cancel,
        )
        (scratch / MARKER).write_text(json.dumps(_marker_content()), encoding="utf-8")
        if is_complete(target):  # another process finished first
            return target
        shutil.rmtree(target, ignore_errors=True)
        os.replace(scratch, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target
