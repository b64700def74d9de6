"""Exports of the analysis: results JSON, the one-page PDF report, a screenshot of one view."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QImage

from app.screenshot import render_window_image
from app.session import series_label
from app.state import ViewName
from prima_core.analysis.report import report_content, results_document

if TYPE_CHECKING:
    from app.analysis.feature import AnalysisFeature

KEY_VIEWS = (ViewName.AXIAL, ViewName.CORONAL, ViewName.SAGITTAL)


def _explanation_dict(feature: AnalysisFeature) -> dict | None:
    explanation = feature.controller.explanation
    return explanation.to_dict() if explanation is not None else None


def write_results_json(feature: AnalysisFeature, path: Path) -> Path:
    """The Prediction JSON, the ranked differential, the shown explanation's summary and caveats."""
    controller = feature.controller
    if controller.result is None or controller.study is None:
        raise ValueError("there is no result to export yet: press Analyze first")
    document = results_document(
        controller.result.result, study=controller.study, explanation=_explanation_dict(feature)
    )
    Path(path).write_text(json.dumps(document, indent=2), encoding="utf-8")
    return Path(path)


def key_images(feature: AnalysisFeature) -> list[tuple[str, QImage]]:
    """The three 2D views as rendered now (heat map included), with captions."""
    images = []
    for name in KEY_VIEWS:
        view = feature.window.mpr.slice_views[name]
        if view.display is None:
            continue
        caption = f"{name.value.capitalize()} \u00b7 {series_label(view.display.series)}"
        images.append((caption, render_window_image(view.canvas)))
    return images


def write_report_pdf(feature: AnalysisFeature, path: Path) -> Path:
    from app.analysis.report_pdf import write_report_pdf as paint

    controller = feature.controller
    if controller.result is None or controller.study is None:
        raise ValueError("there is no result to report yet: press Analyze first")
    explanation = controller.explanation
    content = report_content(
        controller.result.differential,
        study=controller.study,
        explanation=_explanation_dict(feature),
        series_labels=feature.series_labels(explanation) if explanation is not None else None,
    )
    feature.window.mpr.flush()
    return paint(Path(path), content, key_images(feature))


def write_view_screenshot(feature: AnalysisFeature, path: Path) -> Path:
    window = feature.window
    view = window.mpr.views.get(window.state.active_view) or window.mpr.active_slice_view()
    image = render_window_image(view.canvas)  # type: ignore[attr-defined]  # every view has one
    if image.isNull() or not image.save(str(path)):
        raise OSError(f"could not write {path}")
    return Path(path)
