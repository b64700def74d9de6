"""MPR fluidity: time per slice step and per crosshair-drag event, rendering included.

Usage (software OpenGL under a virtual display, as in CI)::

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python benchmarks/bench_render.py [--quick]

A synthetic 512 x 512 x 200 int16 head (0.45 x 0.45 x 1.0 mm) is shown in the real main window
(2x2 layout: three 2D views and the 3D view of the three slices). Each event is timed from the
input to the end of rendering: the state change, the reslicing, ``Render()`` of each view that
is drawn and ``WaitForCompletion()`` of its GL work, plus Qt event processing.

Compared, in the same run on the same window:

* ``ours``: an event rewrites only the reslice-axes matrix of the views whose slice changed,
  windows the plane to 8-bit grey before upload, samples at most 320 pixels a side while a drag
  is under way (full resolution again on release), renders each changed 2D view once per turn of
  the event loop -- a view whose only change is the reference line of a slice scrolled elsewhere
  at most every 50 ms -- and the 3D view at most every 250 ms while slices keep scrolling and
  once a drag is released (postponed renders land inside later events, so they are counted);
* ``re-set``: the obvious alternative -- every event re-sets each 2D view's reslice pipeline
  (volume wrapped again, output grid and axes set again, full resolution) and renders every view;
* ``linear, all views``: our matrix-only updates but full resolution during drags and every view
  (3D included) rendered on every event (what the drag and 3D-rate measures save).

Prints, per event, the median and 90th-percentile wall milliseconds, the median CPU
milliseconds of this process (all its threads, llvmpipe's included: a load-independent view when
other jobs share the machine) and the ratio of median wall times to ``ours``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication  # noqa: E402

from app.main_window import MainWindow  # noqa: E402
from app.session import prepare_display  # noqa: E402
from app.state import ViewName  # noqa: E402
from app.theme import apply_theme  # noqa: E402
from prima_core.io import Series, Study, Volume  # noqa: E402
from prima_core.io.study import SequenceType  # noqa: E402


def make_head(shape_ijk: tuple[int, int, int], spacing: tuple[float, float, float], seed: int = 0) -> Volume:
    """An int16 ellipsoid 'head' with a brighter core and noise, built slice by slice."""
    ni, nj, nk = shape_ijk
    rng = np.random.default_rng(seed)
    j, i = np.mgrid[0:nj, 0:ni]
    x = (i - ni / 2) / (0.42 * ni)
    y = (j - nj / 2) / (0.47 * nj)
    array = np.empty((nk, nj, ni), dtype=np.int16)
    for k in range(nk):
        z = (k - nk / 2) / (0.48 * nk)
        r2 = x**2 + y**2 + z**2
        plane = np.where(r2 < 1, 600, 0) + np.where(r2 < 0.5, 300, 0) + rng.integers(0, 40, size=r2.shape)
        array[k] = plane
    affine = np.diag([*spacing, 1.0])
    affine[:3, 3] = -np.array(spacing) * (np.array(shape_ijk) - 1) / 2
    return Volume(array, affine)


def build_window(volume: Volume, *, layout: str) -> MainWindow:
    series = Series(
        "bench-series", "AX_T1", description="AX T1 bench", sequence=SequenceType.T1, shape=volume.shape_ijk
    )
    series.loader = lambda: volume
    study = Study("bench-study", description="render benchmark", patient_name="BENCH")
    study.series.append(series)
    window = MainWindow(layout=layout)
    window.resize(1600, 960)
    window.show()
    QApplication.processEvents()
    window.session.adopt(prepare_display(series, study))
    window.state.set_cursor(volume.center_lps())
    window.mpr.show_everywhere(series.series_instance_uid)
    settle(window)
    return window


def settle(window: MainWindow) -> None:
    for _ in range(3):
        QApplication.processEvents()
    window.mpr.flush()
    finish_gl(window)


def finish_gl(window: MainWindow) -> None:
    for view in window.mpr.visible_views():
        view.canvas.GetRenderWindow().WaitForCompletion()


def reset_pipelines(window: MainWindow) -> None:
    """The alternative: rebuild every 2D view's reslice set-up, then draw every view."""
    for view in window.mpr.slice_views.values():
        view.scene.set_fast(False)
        view.scene.set_volume(view.display.volume, view.grid, background=view.display.profile.minimum)
        view.scene.set_plane(view.frame.plane_matrix(view.depth))
    window.mpr.render_all()


def time_events(window: MainWindow, event, count: int, *, after=None) -> list[tuple[float, float]]:
    """(wall ms, process CPU ms) per event.

    With ``after`` (an alternative that draws everything itself) the scheduler is switched off
    for the run, so nothing is drawn twice.
    """
    scheduler = window.mpr.scheduler
    own_request = scheduler.request
    if after is not None:
        scheduler.request = lambda canvas: None
    times = []
    try:
        for n in range(count):
            start, start_cpu = time.perf_counter(), time.process_time()
            event(n)
            QApplication.processEvents()
            if after is not None:
                after()
            scheduler.flush()  # what the event loop's zero-delay timer does
            finish_gl(window)
            times.append((1000 * (time.perf_counter() - start), 1000 * (time.process_time() - start_cpu)))
    finally:
        scheduler.request = own_request
    return times


def slice_steps(window: MainWindow, variant: str, count: int) -> list[float]:
    axial = window.mpr.slice_views[ViewName.AXIAL]

    def step(n: int) -> None:
        axial.scroll(1 if (n // 10) % 2 == 0 else -1)

    after = {
        "ours": None,
        "re-set": lambda: reset_pipelines(window),
        "linear, all views": window.mpr.render_all,
    }
    return time_events(window, step, count, after=after[variant])


def drag_events(window: MainWindow, volume: Volume, variant: str, count: int) -> list[float]:
    """A circular drag in the axial plane: the coronal and sagittal slices change on every event."""
    axial = window.mpr.slice_views[ViewName.AXIAL]
    center = volume.center_lps()
    z = axial.frame.to_lps([0, 0, axial.depth])[2]
    radius = 0.25 * volume.shape_ijk[0] * volume.spacing[0]

    def drag(n: int) -> None:
        angle = 2 * np.pi * n / 37
        window.state.set_cursor([center[0] + radius * np.cos(angle), center[1] + radius * np.sin(angle), z])

    window.state.set_interacting(variant == "ours")
    after = {
        "ours": None,
        "re-set": lambda: reset_pipelines(window),
        "linear, all views": window.mpr.render_all,
    }
    try:
        return time_events(window, drag, count, after=after[variant])
    finally:
        window.state.set_interacting(False)
        settle(window)


def summary(times: list[tuple[float, float]]) -> tuple[float, float, float]:
    """Median and 90th percentile of wall time, median of CPU time (ms)."""
    wall = sorted(t[0] for t in times)
    return statistics.median(wall), wall[int(0.9 * (len(wall) - 1))], statistics.median(t[1] for t in times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 256 x 256 x 100 series and fewer events")
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument("--layout", choices=("2x2", "1x3", "1x1"), default="2x2", help="2x2 = 3 slices + 3D")
    args = parser.parse_args(argv)
    shape = (256, 256, 100) if args.quick else (512, 512, 200)
    events = 20 if args.quick else args.events
    app = QApplication.instance() or QApplication(["bench_render"])
    apply_theme(app)
    t0 = time.perf_counter()
    volume = make_head(shape, (0.45, 0.45, 1.0))
    window = build_window(volume, layout=args.layout)
    print(f"series {shape[0]}x{shape[1]}x{shape[2]} int16, window ready in {time.perf_counter() - t0:.1f} s")
    capabilities = window.mpr.slice_views[ViewName.AXIAL].canvas.GetRenderWindow().ReportCapabilities()
    renderer = next((line for line in capabilities.splitlines() if "renderer string" in line), "unknown GL")
    print(f"{renderer.strip()}; window {window.width()}x{window.height()}, layout {args.layout}")
    window.close()
    variants = ("ours", "re-set", "linear, all views")
    results = {}
    for name, run in (
        ("slice step (axial scroll)", lambda w, v: slice_steps(w, v, events)),
        ("crosshair drag event", lambda w, v: drag_events(w, volume, v, events)),
    ):
        for variant in variants:
            # A fresh window per variant: the re-set variant leaves its pipelines behind, and
            # what one variant leaves must not slow (or speed) the next one.
            window = build_window(volume, layout=args.layout)
            run(window, variant)  # warm-up: textures, caches
            results[(name, variant)] = summary(run(window, variant))
            window.close()
            QApplication.processEvents()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.1f} on {os.cpu_count()} CPUs (wall times grow with load; CPU time less so)")
    header = f"{'event':28s} {'variant':20s} {'wall ms':>8s} {'p90':>7s} {'CPU ms':>7s} {'x ours':>7s}"
    print("\n" + header)
    for (name, variant), (median, p90, cpu) in results.items():
        ratio = median / results[(name, "ours")][0]
        print(f"{name:28s} {variant:20s} {median:8.1f} {p90:7.1f} {cpu:7.1f} {ratio:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
