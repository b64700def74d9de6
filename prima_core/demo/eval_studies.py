"""Write the evaluation studies as DICOM (kept, so a later evaluation or explanation reuses them)."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from prima_core.demo.dataset_build import run_jobs
from prima_core.demo.study import GROUND_TRUTH_FILE, generate_demo_study
from prima_core.progress import CancelToken, ProgressCallback, report


def _generate(seed: int, findings: list[str], out_dir: str) -> None:
    generate_demo_study(seed=seed, findings=findings, out_dir=Path(out_dir))


def ensure_studies(
    plan: Mapping[int, list[str]],
    work_dir: Path,
    *,
    workers: int = 1,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> list[Path]:
    """``work_dir/<seed>`` for every seed of ``plan`` (seed -> findings), generated when missing.

    ``ground_truth.json`` is the generator's last file, so a folder without it is an interrupted
    write and is made again.
    """
    dirs = [Path(work_dir) / str(seed) for seed in plan]
    todo = []
    for seed, folder in zip(plan, dirs, strict=True):
        if not (folder / GROUND_TRUTH_FILE).is_file():
            shutil.rmtree(folder, ignore_errors=True)
            todo.append((seed, list(plan[seed]), str(folder)))
    already = len(dirs) - len(todo)
    report(progress, "studies:eval", already / max(len(dirs), 1), f"{already}/{len(dirs)} on disk")

    def on_done(count: int) -> None:
        report(progress, "studies:eval", (already + count) / len(dirs), f"{already + count}/{len(dirs)}")

    run_jobs(_generate, todo, workers=workers, on_done=on_done, cancel=cancel)
    return dirs
