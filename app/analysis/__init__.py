"""Prima's analysis in the viewer: the ranked differential, explanations as heat maps over the
views, the model chooser and weight import, exports (JSON, PDF report, view screenshots) and the
command-line automation. Computation is ``prima_core.analysis``'s; this package is the window's."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.analysis.feature import AnalysisFeature
    from app.main_window import MainWindow


def install_analysis(window: MainWindow) -> AnalysisFeature:
    """Add the Differential and Explanation panels, their commands and automation to ``window``."""
    from app.analysis.feature import AnalysisFeature

    return AnalysisFeature(window)
