"""The Explanation panel: the selected diagnosis, the saliency method, heat-map controls, series
contributions and the top regions."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from app import theme
from app.widgets import analysis_style as style
from app.widgets.contribution_chart import ROW, ContributionChart
from app.widgets.overlay_controls import OverlayControls
from app.widgets.regions_panel import RegionsList
from prima_core.analysis.differential import RankedLabel, format_margin
from prima_core.analysis.methods import DEFAULT_METHOD, METHOD_CHOICES


class ExplanationPanel(QWidget):
    method_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("explanationPanel")
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.method = QComboBox()
        for choice in METHOD_CHOICES:
            self.method.addItem(choice.label + ("  \u00b7 slow" if choice.slow else ""), choice.value)
        self.method.setCurrentIndex(self.method.findData(DEFAULT_METHOD))
        self.method.setToolTip("Saliency method: how the heat map is computed")
        self.method.activated.connect(lambda _i: self.method_chosen.emit(self.method.currentData()))
        self.controls = OverlayControls()
        self.chart = ContributionChart()
        # a short panel scrolls the chart instead of squeezing it under the regions title
        self.chart_area = QScrollArea()
        self.chart_area.setWidget(self.chart)
        self.chart_area.setWidgetResizable(True)
        self.chart_area.setFrameShape(QFrame.Shape.NoFrame)
        self.chart_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.regions = RegionsList()
        self.regions.setMinimumHeight(90)
        self.hint = style.muted_label("Select a diagnosis to see where the model found evidence.")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._build()
        self.show_target(None)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 6)
        layout.setSpacing(6)
        layout.addWidget(self.title)
        self.method_row = QWidget()
        row = QHBoxLayout(self.method_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Method"))
        row.addWidget(self.method, 1)
        layout.addWidget(self.method_row)
        layout.addWidget(self.controls)
        self.chart_title = style.section_label("Series contribution")
        layout.addWidget(self.chart_title)
        layout.addWidget(self.chart_area)
        self.regions_title = style.section_label("Top regions \u00b7 click to go there")
        layout.addWidget(self.regions_title)
        layout.addWidget(self.regions, 1)
        layout.addWidget(self.hint, 1)

    def current_method(self) -> str:
        return str(self.method.currentData())

    def set_method(self, value: str) -> None:
        index = self.method.findData(value)
        if index >= 0:
            self.method.setCurrentIndex(index)

    def show_target(self, item: RankedLabel | None, *, pending: bool = False) -> None:
        """The diagnosis whose heat map is (or is about to be) shown."""
        self.method_row.setVisible(item is not None)
        self.controls.setVisible(item is not None)
        if item is None:
            self.title.setText(f"<span style='color:{theme.MUTED}'>No diagnosis selected</span>")
        else:
            colour = style.POSITIVE if item.positive else theme.MUTED
            self.title.setText(
                f"<b>{item.display_name}</b>&nbsp;&nbsp;"
                f"<span style='color:{colour}'>margin {format_margin(item.margin)}</span>"
            )
            self.title.setToolTip(f"{item.display_name} ({item.group})\n{item.description}")
        if pending or item is None:
            self.show_explanation(None, series_labels={})
        self.hint.setText(
            "Computing the heat map\u2026"
            if pending
            else "Select a diagnosis to see where the model found evidence."
        )

    def show_explanation(self, explanation, *, series_labels: dict[str, str]) -> None:
        has = explanation is not None
        for widget in (self.chart_title, self.chart_area, self.regions_title, self.regions):
            widget.setVisible(has)
        self.hint.setVisible(not has)
        if not has:
            self.chart.set_values({})
            self.regions.clear()
            return
        labels = {name: series_labels.get(name, name) for name in explanation.series_contributions}
        self.chart.set_values({labels[k]: v for k, v in explanation.series_contributions.items()})
        full = self.chart.height() + 2
        self.chart_area.setMaximumHeight(full)
        self.chart_area.setMinimumHeight(min(full, 2 * ROW + 6))
        self.regions.set_regions(explanation.regions, series_labels=series_labels)
        self.regions_title.setVisible(bool(explanation.regions))
        self.regions.setVisible(bool(explanation.regions))
        note = explanation.metadata.get("note") or ""
        seconds = explanation.metadata.get("seconds")
        self.method.setToolTip(f"{note} Computed in {seconds:.1f} s." if seconds is not None else note)
