"""Slice steps and crosshair drags with a heat map shown: our overlay vs the plain VTK overlay.

Usage (software OpenGL under a virtual display, as in CI)::

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python benchmarks/bench_render_heat.py [--quick]

The window, series and timing are those of ``bench_render.py`` (a 512 x 512 x 200 int16 series,
2x2 layout, each event timed to the end of rendering). A token-sized heat map (a 15 mm Gaussian on
a 4 mm grid, as an explanation's map looks) is shown in every view, the 3D view included.
Compared in the same run:

* ``ours``: the map resliced and coloured on ~2 mm pixels (``coarse_grid``), drawn only over its
  non-transparent box (``crop_to_content``), plain alpha blending (order-independent
  transparency off in the 2D views);
* ``plain VTK``: the obvious alternative, the map resliced on the image's own pixel grid, drawn
  over the whole plane, with VTK's default order-independent transparency pass;
* ``ours, no OIT only``: plain VTK but with OIT off (what that one switch saves);
* ``no heat map``: the same window with the map hidden (the floor).

Prints median / 90th-percentile wall ms, median CPU ms (load-independent) and the ratio to ours.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_render import build_window, drag_events, make_head, settle, slice_steps, summary  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.render import reslice_layer  # noqa: E402
from app.state import ViewName  # noqa: E402
from app.theme import apply_theme  # noqa: E402
from prima_core.io.volume import Volume  # noqa: E402


def token_heat(volume: Volume) -> Volume:
    """A smooth blob on a coarse 4 mm grid around the series' centre."""
    affine = np.diag([4.0, 4.0, 4.0, 1.0])
    affine[:3, 3] = volume.center_lps() - 4.0 * np.array([16, 16, 12])
    k, j, i = np.mgrid[0:25, 0:33, 0:33]
    lps = np.stack([i, j, k], -1) @ affine[:3, :3].T + affine[:3, 3]
    values = np.exp(-np.sum((lps - volume.center_lps()) ** 2, -1) / (2 * 15.0**2))
    return Volume(values.astype(np.float32), affine)


def _whole_plane(overlay) -> None:  # noqa: ANN001 - an OverlayLayer
    overlay.actor.SetDisplayExtent(0, -1, 0, -1, 0, 0)  # VTK: an empty extent draws the whole image


def show_heat(window, *, heat: Volume | None, pixel_mm: float, crop: bool = True, oit: bool = False) -> None:
    """Re-apply the overlay in every view, set up as one variant of the comparison."""
    reslice_layer.OVERLAY_PIXEL_MM = pixel_mm
    for view in window.mpr.slice_views.values():
        view.scene.renderer.SetUseOIT(oit)
        overlay = view.scene.overlay
        if crop:  # the class's method again
            overlay.__dict__.pop("crop_to_content", None)
        else:  # an instance attribute: this window only
            overlay.crop_to_content = lambda o=overlay: _whole_plane(o)
    uid = window.state.active_series[ViewName.AXIAL.value]
    window.analysis.overlay.set_maps({} if heat is None else {uid: heat})
    settle(window)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 256 x 256 x 100 series and fewer events")
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=2, help="interleaved rounds of all variants")
    args = parser.parse_args(argv)
    shape = (256, 256, 100) if args.quick else (512, 512, 200)
    events = 15 if args.quick else args.events
    app = QApplication.instance() or QApplication(["bench_render_heat"])
    apply_theme(app)
    t0 = time.perf_counter()
    volume = make_head(shape, (0.45, 0.45, 1.0))
    heat = token_heat(volume)
    default_mm = reslice_layer.OVERLAY_PIXEL_MM
    print(f"series {shape[0]}x{shape[1]}x{shape[2]} int16, window ready in {time.perf_counter() - t0:.1f} s")
    variants = {
        "ours": dict(heat=heat, pixel_mm=default_mm),
        "plain VTK": dict(heat=heat, pixel_mm=0.0, crop=False, oit=True),
        "ours, no OIT only": dict(heat=heat, pixel_mm=0.0, crop=False),
        "no heat map": dict(heat=None, pixel_mm=default_mm),
    }
    events_of = {
        "slice step (axial scroll)": lambda w: slice_steps(w, "ours", events),
        "crosshair drag event": lambda w: drag_events(w, volume, "ours", events),
    }
    times: dict[tuple[str, str], list] = {(e, v): [] for e in events_of for v in variants}
    for _ in range(args.repeats):  # interleaved, so a change of machine load hits every variant
        for variant, options in variants.items():
            for event, run in events_of.items():
                # a fresh window each time: what one variant leaves must not weigh on the next
                window = build_window(volume, layout="2x2")
                show_heat(window, **options)
                run(window)  # warm-up
                times[(event, variant)] += run(window)
                window.close()
                QApplication.processEvents()
    reslice_layer.OVERLAY_PIXEL_MM = default_mm
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.1f} on {os.cpu_count()} CPUs (wall times grow with load; CPU time less so)")
    print(f"\n{'event':28s} {'variant':18s} {'wall ms':>8s} {'p90':>7s} {'CPU ms':>7s} {'x ours':>7s}")
    for (event, variant), values in times.items():
        median, p90, cpu = summary(values)
        ratio = median / summary(times[(event, "ours")])[0]
        print(f"{event:28s} {variant:18s} {median:8.1f} {p90:7.1f} {cpu:7.1f} {ratio:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
