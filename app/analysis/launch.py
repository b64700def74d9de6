"""Automation from the command line: ``--analyze``, ``--select NAME``, ``--method METHOD``,
``--model M`` (``window.launch_options``). Once the study is shown, choose the model and method,
analyze, select the diagnosis (default: the top one), explain it, and only then let the window
take its ``--screenshot``. ``--select`` or ``--method`` imply ``--analyze``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prima_core.analysis.methods import method_choice
from prima_core.errors import UserError
from prima_core.model_registry import resolve_model

if TYPE_CHECKING:
    from app.analysis.feature import AnalysisFeature


class Launch:
    def __init__(self, feature: AnalysisFeature) -> None:
        self.feature = feature
        self.started = False
        self.done = False

    def _options(self) -> dict:
        return dict(getattr(self.feature.window, "launch_options", None) or {})

    def requested(self) -> bool:
        options = self._options()
        return bool(options.get("analyze") or options.get("select") or options.get("method"))

    def wanted(self) -> bool:
        """The command line asked for an analysis that has not started yet."""
        return self.requested() and not self.started

    def holds_screenshot(self) -> bool:
        """Whether the window must wait for the analysis before its ``--screenshot``."""
        return self.requested() and not self.done

    def start(self) -> None:
        self.started = True
        feature, options = self.feature, self._options()
        try:
            if options.get("model"):
                resolve_model(str(options["model"]))
                feature.panel.models.choose(str(options["model"]), emit=False)
            if options.get("method"):
                feature.pick_method(method_choice(str(options["method"])).value)
        except UserError as exc:
            self.abandon()
            feature.window.show_error("Cannot analyze", str(exc))
            return
        feature.analyze(select=str(options.get("select") or ""))

    def explained(self) -> None:
        """The explanation is on screen: go to its top region (as a reader clicking it), then the
        launch is complete and the screenshot shows where the evidence is."""
        if self.started and not self.done:
            self.done = True
            self.feature.go_to_region(0)
            self.feature.window.screenshot_if_requested()

    def abandon(self) -> None:
        """A failure or cancel ended the launch (the error itself is reported elsewhere)."""
        if self.started:
            self.done = True
