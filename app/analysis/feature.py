"""The analysis in the main window: panels, commands, and the wiring between them.

Analyze runs Prima (or reads the results cache) and then explains the top diagnosis; choosing a
diagnosis explains it with the chosen method and overlays its heat maps in the 2D views.
Automation (``--analyze/--select/--method/--model``) is in :mod:`.launch`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt

from app.analysis.actions import build_analysis_actions, place_analysis_actions
from app.analysis.controller import AnalysisController
from app.analysis.file_commands import FileCommands
from app.analysis.launch import Launch
from app.analysis.overall_progress import ANALYSIS_STAGES
from app.analysis.overlay import HeatmapOverlay
from app.session import series_label
from app.widgets.differential_panel import DifferentialPanel
from app.widgets.explanation_panel import ExplanationPanel
from app.window_events import error_text
from prima_core.analysis.analyzer import AnalysisResult
from prima_core.analysis.differential import device_label
from prima_core.analysis.methods import DEFAULT_METHOD
from prima_core.analysis.settings import AnalysisSettings, default_model
from prima_core.errors import UserError
from prima_core.io.study import Study
from prima_core.model_registry import list_models, recommended_method, resolve_model

if TYPE_CHECKING:
    from app.main_window import MainWindow

TOP = ""  # select the top-ranked diagnosis


class AnalysisFeature(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.settings = AnalysisSettings.load()
        self._method_picked = False  # until the reader picks a method, each model's own default
        self.controller = AnalysisController(window.session, self)
        self.overlay = HeatmapOverlay(window.state, window.mpr, self)
        self.panel = DifferentialPanel()
        self.explanation_panel = ExplanationPanel()
        self.dock = window.add_side_panel(self.panel, "Differential")
        self.explanation_dock = window.add_side_panel(self.explanation_panel, "Explanation")
        window.resizeDocks([self.dock], [390], Qt.Orientation.Horizontal)
        window.resizeDocks([self.dock, self.explanation_dock], [560, 330], Qt.Orientation.Vertical)
        self.files = FileCommands(self)
        self.actions = build_analysis_actions(window, self._handlers())
        place_analysis_actions(window, self.actions)
        self.actions["show_heatmap"].setChecked(True)
        self.launch = Launch(self)
        self._select_after: str | None = None
        self._looked_up: Study | None = None
        self._connect()
        self.refresh_models()
        self._show_state()

    def _handlers(self) -> dict:
        return {
            "analyze": self.analyze,
            "cancel_analysis": self.controller.cancel,
            "show_heatmap": lambda: self.explanation_panel.controls.visible.setChecked(
                self.actions["show_heatmap"].isChecked()
            ),
            **self.files.handlers(),
        }

    def _connect(self) -> None:
        c, panel, explained = self.controller, self.panel, self.explanation_panel
        c.progress.connect(panel.progress.show_event)
        c.busy_changed.connect(lambda _b: self._show_state())
        c.result_ready.connect(self._on_result)
        c.explanation_ready.connect(self._on_explanation)
        c.failed.connect(self._on_failed)
        c.cancelled.connect(self._on_cancelled)
        c.cleared.connect(self._on_cleared)
        panel.progress.cancel_requested.connect(c.cancel)
        panel.chosen.connect(self.select)
        panel.models.model_chosen.connect(self._on_model_chosen)
        panel.models.currentIndexChanged.connect(lambda _i: self._show_state())
        explained.method_chosen.connect(lambda _m: self._explain_selected())
        explained.method_chosen.connect(lambda _m: self.pick_method(None))
        controls = explained.controls
        controls.visibility_changed.connect(self._on_visibility)
        controls.colormap_changed.connect(self.overlay.set_colormap)
        controls.threshold_changed.connect(self.overlay.set_threshold)
        controls.opacity_changed.connect(self.window.state.set_opacity)
        explained.regions.region_chosen.connect(self.go_to_region)
        self.window.session.import_finished.connect(lambda _r: self.controller.set_study(None))
        self.window.ready.connect(self._on_window_ready)

    # --- models ------------------------------------------------------------------------------
    def model(self) -> str | None:
        return self.panel.models.current_model()

    def refresh_models(self, *, current: str | None = None) -> None:
        entries = list_models()
        self.panel.models.set_entries(entries, current=current or default_model(self.settings.model, entries))

    def _on_model_chosen(self, spec: str) -> None:
        self.settings.model = spec
        self.settings.save()
        if self.controller.result is not None:
            self.controller.forget_result()
        self._looked_up = None
        self._lookup()

    def pick_method(self, method: str | None) -> None:
        """The reader (or ``--method``) chose the saliency method: keep it across analyses."""
        if method is not None:
            self.explanation_panel.set_method(method)
        self._method_picked = True

    def _default_method_for(self, model: str) -> None:
        """Until the reader picks one, use the method validated for this model, else the fast default."""
        if self._method_picked:
            return
        try:
            method = recommended_method(resolve_model(model)) or DEFAULT_METHOD
        except UserError:
            method = DEFAULT_METHOD
        self.explanation_panel.set_method(method)

    # --- study -------------------------------------------------------------------------------
    def current_study(self) -> Study | None:
        session = self.window.session
        if session.result is None or not session.result.studies:
            return None
        uid = self.window.state.active_series.get("axial")
        try:
            return session.study_of(uid) if uid else session.result.studies[0]
        except KeyError:
            return session.result.studies[0]

    def _on_window_ready(self) -> None:
        study = self.current_study()
        if study is not None and study is not self.controller.study:
            self.controller.set_study(study)
        if self.launch.wanted():
            self.launch.start()
        else:
            self._lookup()
        self._show_state()

    def _lookup(self) -> None:
        """Show the cached result of the open study at once, when there is one (no model run)."""
        study, model = self.controller.study, self.model()
        if study is None or model is None or self._looked_up is study or self.controller.busy:
            return
        self._looked_up = study
        self.controller.lookup_cached(model)

    # --- analysis ----------------------------------------------------------------------------
    def analyze(self, *, select: str | None = TOP) -> None:
        study = self.current_study()
        if study is None:
            self.window.statusBar().showMessage("Open a study first", 4000)
            return
        model = self.model()
        if model is None:
            self.launch.abandon()
            self.window.show_error("No model", "no model is installed: use File > Import Prima weights\u2026")
            return
        if study is not self.controller.study:
            self.controller.set_study(study)
        self._default_method_for(model)
        self._select_after = select
        self._looked_up = study
        stages = ANALYSIS_STAGES if select is not None else ANALYSIS_STAGES[:-1]  # explain after?
        names = {series.model_name: series.description for series in study.series if series.description}
        self.panel.progress.start("Starting the analysis\u2026", stages=stages, series_names=names)
        self.controller.analyze(model)

    def _on_result(self, result: AnalysisResult) -> None:
        self.panel.show_differential(result.differential, facts=self._facts(result))
        if not result.from_cache:
            seconds = result.result.get("timings", {}).get("total", 0.0)
            where = device_label(result.result.get("device", ""))
            self.window.statusBar().showMessage(f"Prima ran on {where} in {seconds:.1f} s", 8000)
        select, self._select_after = self._select_after, None
        if select is not None:
            self.select(select or result.differential.diagnoses[0].name)
        self._show_state()

    def _facts(self, result: AnalysisResult) -> str:
        model = result.result.get("model", {})
        where = device_label(result.result.get("device", ""))
        origin = (
            "cached result"
            if result.from_cache
            else f"{result.result.get('timings', {}).get('total', 0):.1f} s"
        )
        return " \u00b7 ".join(p for p in (str(model.get("name", "")), where, origin) if p)

    def select(self, name: str) -> None:
        """Select a diagnosis: mark it, compute its explanation, overlay its heat maps."""
        result = self.controller.result
        if result is None:
            return
        try:
            item = result.differential.find(name)
        except UserError as exc:
            self.launch.abandon()
            self.window.show_error("Unknown diagnosis", str(exc))
            return
        self.window.state.set_selected_diagnosis(item.name)
        self._explain_selected()

    def _explain_selected(self) -> None:
        name, result = self.window.state.selected_diagnosis, self.controller.result
        if name is None or result is None:
            return
        item = result.differential.find(name)
        self.panel.mark_selected(name)
        self.explanation_panel.show_target(item, pending=True)
        self.overlay.clear()
        self.panel.progress.begin_explanation(item.display_name, busy=self.controller.busy)
        self.controller.explain(name, self.explanation_panel.current_method())

    def _on_explanation(self, explanation) -> None:  # noqa: ANN001 - an Explanation
        result = self.controller.result
        assert result is not None  # an explanation is always of the current result
        self._show_explanation(explanation)
        self.panel.show_differential(result.differential, facts=self._facts(result))
        self.panel.mark_selected(explanation.target.name)
        self._show_state()
        self.launch.explained()

    def _show_explanation(self, explanation) -> None:  # noqa: ANN001 - an Explanation
        result = self.controller.result
        assert result is not None
        uids = {name: result.series_uid(i) for i, name in enumerate(explanation.series_names)}
        self.overlay.set_maps({uids[name]: explanation.heatmap(name) for name in explanation.series_names})
        self.explanation_panel.show_target(result.differential.find(explanation.target.name))
        self.explanation_panel.set_method(str(explanation.method))
        self.explanation_panel.show_explanation(explanation, series_labels=self._series_labels(uids))

    def series_labels(self, explanation) -> dict[str, str]:  # noqa: ANN001 - an Explanation
        """How the viewer names each series of an explanation (``#3 SAG T2 FSE+C``)."""
        result = self.controller.result
        assert result is not None
        return self._series_labels({n: result.series_uid(i) for i, n in enumerate(explanation.series_names)})

    def _series_labels(self, uids: dict[str, str]) -> dict[str, str]:
        session = self.window.session
        return {
            name: series_label(session.series(uid))
            for name, uid in uids.items()
            if uid in session.series_uids()
        }

    def go_to_region(self, index: int) -> None:
        """Move the crosshair to a top region, showing its series if no view shows it."""
        explanation, result = self.controller.explanation, self.controller.result
        if explanation is None or result is None or not 0 <= index < len(explanation.regions):
            return
        region = explanation.regions[index]
        uid = result.series_uid(explanation.series_names.index(region.series))
        state = self.window.state
        if uid not in state.active_series.values() and uid in self.window.session.series_uids():
            self.window.mpr.show_everywhere(uid)
            self.window.browser.select(uid)
        state.set_cursor(np.asarray(region.center_lps, dtype=float))

    # --- feedback ----------------------------------------------------------------------------
    def _on_visibility(self, visible: bool) -> None:
        self.overlay.set_visible(visible)
        self.actions["show_heatmap"].setChecked(visible)

    def _on_failed(self, what: str, exc: BaseException) -> None:
        self.launch.abandon()
        self._select_after = None
        self.explanation_panel.show_target(None)
        self.window.show_error(f"{what} failed", error_text(exc))

    def _on_cancelled(self) -> None:
        self.launch.abandon()
        self._select_after = None
        self.window.statusBar().showMessage("Analysis cancelled", 5000)
        shown = self.controller.explanation  # back to the last finished map of this diagnosis
        if shown is not None and shown.target.name == self.window.state.selected_diagnosis:
            self._show_explanation(shown)
        else:
            self.explanation_panel.show_target(None)

    def _on_cleared(self) -> None:
        self.overlay.clear()
        self.window.state.set_selected_diagnosis(None)
        self.panel.show_differential(None)
        self.explanation_panel.show_target(None)
        self._show_state()

    def _show_state(self) -> None:
        busy, model = self.controller.busy, self.model()
        has_study = self.current_study() is not None
        self.panel.set_busy(busy)
        self.actions["analyze"].setEnabled(has_study and model is not None and not busy)
        self.actions["cancel_analysis"].setEnabled(busy)
        has_result = self.controller.result is not None
        for key in ("export_json", "export_pdf"):
            self.actions[key].setEnabled(has_result)
        self.actions["show_heatmap"].setEnabled(self.controller.explanation is not None)
        if model is None:
            hint = (
                "No model installed.\nImport official Prima weights with\n"
                "File \u203a Import Prima weights\u2026"
            )
        elif not has_study:
            hint = "Open a study, then press Analyze."
        else:
            hint = "Press Analyze (Ctrl+Return) to run Prima on this study."
        self.panel.set_hint(hint)

    def shutdown(self) -> None:
        self.controller.shutdown()
        self.overlay.shutdown()
