"""Make the study records of a split, resumably and optionally in worker processes.

A record already on disk is kept, so an interrupted run continues where it stopped. Worker
processes (``workers > 1``) each generate whole studies; on a 2-core machine two workers keep
both cores busy while one of them writes DICOM.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prima_core.demo.dataset import extract_study, study_findings
from prima_core.progress import CancelToken, ProgressCallback, check, report


@dataclass(frozen=True)
class Split:
    """``n`` studies with seeds ``seed_base + i``; records under ``work_dir/records/<name>``."""

    name: str
    seed_base: int
    n: int
    series: tuple[str, ...] | None = None  # a fixed protocol (tests); None: the generator's random one
    # None: the routine mix (study_findings); else study i carries cycle[i % len(cycle)] alone
    cycle: tuple[str, ...] | None = None

    def seeds(self) -> list[int]:
        return [self.seed_base + i for i in range(self.n)]

    def findings(self, seed: int) -> list[str]:
        if self.cycle:
            return [self.cycle[(seed - self.seed_base) % len(self.cycle)]]
        return study_findings(seed)

    def record_path(self, work_dir: Path, seed: int) -> Path:
        folder = self.name if not self.series else f"{self.name}-" + "-".join(self.series).replace(" ", "_")
        return Path(work_dir) / "records" / folder / f"{seed}.npz"


def _extract(seed: int, findings: list[str], out_file: str, scratch: str, series: list[str] | None) -> str:
    return str(extract_study(seed, findings, Path(out_file), series=series, scratch=Path(scratch)))


def run_jobs(
    fn: Callable[..., Any],
    jobs: Sequence[tuple[Any, ...]],
    *,
    workers: int,
    on_done: Callable[[int], None],
    cancel: CancelToken | None = None,
) -> None:
    """Call ``fn(*job)`` for every job, in ``workers`` processes when more than one.

    ``fn`` must be a module-level function (it is sent to spawned processes); ``on_done(count)``
    is called in this process after each job. Cancellation is checked between jobs.
    """
    done = 0
    if workers <= 1:
        for job in jobs:
            check(cancel)
            fn(*job)
            done += 1
            on_done(done)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: set[Future[Any]] = set()
        queue = list(jobs)
        while queue or pending:
            while queue and len(pending) < 2 * workers:
                pending.add(pool.submit(fn, *queue.pop(0)))
            finished, pending = wait(pending, timeout=5.0, return_when=FIRST_COMPLETED)
            for future in finished:
                future.result()
                done += 1
                on_done(done)
            if cancel is not None and cancel.cancelled:
                for future in pending:
                    future.cancel()
                check(cancel)


def build_records(
    split: Split,
    work_dir: Path,
    *,
    workers: int = 1,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> list[Path]:
    """Every record of ``split`` (made when missing); returns their paths in seed order."""
    scratch = Path(work_dir) / "scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    protocol = list(split.series) if split.series else None
    paths = [split.record_path(work_dir, s) for s in split.seeds()]
    todo = [
        (s, split.findings(s), str(p), str(scratch), protocol)
        for s, p in zip(split.seeds(), paths, strict=True)
        if not p.is_file()
    ]
    already = len(paths) - len(todo)
    stage = f"studies:{split.name}"
    report(progress, stage, already / max(len(paths), 1), f"{already}/{len(paths)} on disk")

    def on_done(count: int) -> None:
        report(progress, stage, (already + count) / len(paths), f"{already + count}/{len(paths)}")

    run_jobs(_extract, todo, workers=workers, on_done=on_done, cancel=cancel)
    return paths
