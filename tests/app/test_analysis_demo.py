"""The demo model on the demo study: the top lesion finding's heat map lies over the lesion."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.state import ViewName
from prima_core import DEMO_CAVEAT
from prima_core.demo import ensure_demo_study
from prima_core.model_registry import recommended_method, resolve_model
from tests.app.conftest import open_and_wait
from tests.app.test_analysis_support import view_pixels
from tests.core.test_explain_support import has_demo_model

# the demo model's recommended method is occlusion (tens of seconds on a 2-core CPU)
ANALYSIS_TIMEOUT = 600_000

pytestmark = [
    pytest.mark.gui,
    pytest.mark.slow,
    pytest.mark.skipif(not has_demo_model(), reason="the demo model (resources/demo_model) is not installed"),
]


def test_top_lesion_finding_lights_up_the_lesion(qtbot, window):
    study = ensure_demo_study()
    truth = json.loads((study / "ground_truth.json").read_text(encoding="utf-8"))
    lesions = {lesion["finding"]: lesion for lesion in truth["lesions"]}
    open_and_wait(qtbot, window, study, timeout=120_000)
    feature, controller = window.analysis, window.analysis.controller
    feature.panel.models.choose("demo", emit=False)
    # no method picked by the reader: the demo model's recommended one is used
    assert recommended_method(resolve_model("demo")) == "occlusion"
    # Analyze is disabled (greyed) while the results-cache lookup that opening a study starts is
    # running; QAction.trigger() on a disabled action does nothing, so wait as a reader would
    qtbot.waitUntil(window.actions["analyze"].isEnabled, timeout=120_000)
    with qtbot.waitSignal(controller.explanation_ready, timeout=ANALYSIS_TIMEOUT):
        window.actions["analyze"].trigger()
    assert feature.panel.demo_caveat.isVisible() and DEMO_CAVEAT in feature.panel.demo_caveat.text()

    assert feature.explanation_panel.current_method() == "occlusion"
    margins = controller.result.result["diagnosis"]
    finding = max((f for f in lesions if f in margins), key=margins.get)
    with qtbot.waitSignal(controller.explanation_ready, timeout=ANALYSIS_TIMEOUT):
        feature.select(finding)
    centre = np.asarray(lesions[finding]["center_lps"], dtype=float)
    window.state.set_cursor(centre)
    window.actions["show_crosshair"].trigger()  # crosshair off: it crosses the probe point
    window.mpr.flush()
    view = window.mpr.slice_views[ViewName.AXIAL]
    pos = view.widget_pos_of(centre)
    row, col = int(round(pos.y())), int(round(pos.x()))
    with_map = view_pixels(view)[row - 2 : row + 3, col - 2 : col + 3]
    window.actions["show_heatmap"].trigger()
    window.mpr.flush()
    without = view_pixels(view)[row - 2 : row + 3, col - 2 : col + 3]
    assert np.abs(with_map - without).sum(axis=2).min() > 10, (finding, margins[finding])
    warm = with_map[..., 0] - with_map[..., 2]
    assert warm.mean() > 20  # the hot colour map over the lesion, not grey
