"""The demo model on the demo study: the top lesion finding's heat map lies over the lesion."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.state import ViewName
from prima_core import DEMO_CAVEAT
from prima_core.demo import ensure_demo_study
from prima_core.explain import pointing_game
from prima_core.io.nifti import nifti_volume
from prima_core.model_registry import recommended_method, resolve_model
from tests.app.conftest import open_and_wait
from tests.app.test_analysis_support import view_pixels

# the demo model's recommended method is Integrated Gradients (seconds on a 2-core CPU)
ANALYSIS_TIMEOUT = 600_000

pytestmark = [
    pytest.mark.gui,
    pytest.mark.slow,
]


def test_top_lesion_finding_lights_up_the_lesion(qtbot, window):
    study = ensure_demo_study()
    truth = json.loads((study / "ground_truth.json").read_text(encoding="utf-8"))
    lesions = {lesion["finding"]: lesion for lesion in truth["lesions"]}
    open_and_wait(qtbot, window, study, timeout=120_000)
    feature, controller = window.analysis, window.analysis.controller
    feature.panel.models.choose("demo", emit=False)
    # no method picked by the reader: the demo model's recommended one is used
    assert recommended_method(resolve_model("demo")) == "integrated_gradients"
    # Analyze is disabled (greyed) while the results-cache lookup that opening a study starts is
    # running; QAction.trigger() on a disabled action does nothing, so wait as a reader would
    qtbot.waitUntil(window.actions["analyze"].isEnabled, timeout=120_000)
    with qtbot.waitSignal(controller.explanation_ready, timeout=ANALYSIS_TIMEOUT):
        window.actions["analyze"].trigger()
    assert feature.panel.demo_caveat.isVisible() and DEMO_CAVEAT in feature.panel.demo_caveat.text()

    assert feature.explanation_panel.current_method() == "integrated_gradients"
    margins = controller.result.result["diagnosis"]
    finding = max((f for f in lesions if f in margins), key=margins.get)
    with qtbot.waitSignal(controller.explanation_ready, timeout=ANALYSIS_TIMEOUT):
        feature.select(finding)
    # the reader clicks the top region: its series comes on screen (the map of each series is
    # drawn on that series), then looks at the lesion itself
    feature.go_to_region(0)
    # the pointing game of `prima demo-eval`: the top region lies within 20 mm of the lesion mask
    assert pointing_game(controller.explanation, [lesions[finding]], radius_mm=20.0, base_dir=study)
    window.actions["show_crosshair"].trigger()  # crosshair off: it crosses the lesion
    window.mpr.flush()
    view = window.mpr.slice_views[ViewName.AXIAL]
    with_map = view_pixels(view)
    window.actions["show_heatmap"].trigger()
    window.mpr.flush()
    without = view_pixels(view)
    heated = (np.abs(with_map - without).sum(axis=2) > 10) & (with_map[..., 0] - with_map[..., 2] > 20)
    rows, cols = _lesion_pixels(view, study / lesions[finding]["mask"])
    assert len(rows) > 20  # the region's slice cuts the lesion
    # what the reader sees of a mass on this slice is the mass and the oedema inserted with it (a
    # lesion of its own in the ground truth); the evidence for a glioma may lie in its oedema
    # (the demo model's top glioma region is 9.5 mm from the tumour mask, inside the oedema), so
    # the map's density is measured over both, while the pointing game above keeps the tumour
    if finding.startswith("tumor_") and "structural_edema" in lesions:
        more = _lesion_pixels(view, study / lesions["structural_edema"]["mask"])
        pixels = np.unique(np.concatenate([np.stack([rows, cols]), np.stack(more)], axis=1), axis=1)
        rows, cols = pixels[0], pixels[1]
    over_lesion = heated[rows, cols].mean()
    head = without.sum(axis=2) > 60  # the head on this slice, not the black background
    # the hot map lies over the lesion on the slice the reader was taken to, and is not
    # simply everywhere: much denser over the lesion than over the head as a whole
    assert over_lesion > 0.25, (finding, margins[finding], over_lesion)
    assert over_lesion > 2 * heated[head].mean(), (over_lesion, heated[head].mean())


def _lesion_pixels(view, mask_path) -> tuple[np.ndarray, np.ndarray]:
    """Canvas pixels (rows, cols) of the lesion-mask voxels within 1.5 mm of the view's slice."""
    mask = nifti_volume(mask_path, None)
    k, j, i = np.nonzero(np.asarray(mask.array) > 0.5)
    lps = mask.index_to_lps(np.stack([i, j, k], axis=-1).astype(float))
    near = [p for p in lps if abs(view.frame.to_view(p)[2] - view.depth) < 1.5]
    points = [view.widget_pos_of(p) for p in near]
    rows = np.array([int(round(q.y())) for q in points], dtype=int)
    cols = np.array([int(round(q.x())) for q in points], dtype=int)
    height, width = view.canvas.height(), view.canvas.width()
    inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
    return rows[inside], cols[inside]
