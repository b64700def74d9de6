"""The Differential panel: model and Analyze, caveats, priority, the ranked list, referrals.

The research-use caveat is always shown; a demo model's result also says, prominently, that the
model was trained on synthetic data and is not diagnostic. Values are margins, never probabilities.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app import theme
from app.widgets import analysis_style as style
from app.widgets.analysis_progress import AnalysisProgress
from app.widgets.differential_list import DifferentialList
from app.widgets.model_chooser import ModelChooser
from prima_core import DEMO_CAVEAT, RESEARCH_CAVEAT
from prima_core.analysis.differential import Differential, format_margin

ALL_GROUPS = "All groups"


class DifferentialPanel(QWidget):
    chosen = Signal(str)  # a diagnosis name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("differentialPanel")
        self.differential: Differential | None = None
        self.models = ModelChooser()
        self.model_facts = style.muted_label(wrap=False)
        self.progress = AnalysisProgress()
        self.demo_caveat = QLabel(f"\u26a0  {DEMO_CAVEAT}")
        self.demo_caveat.setWordWrap(True)
        self.demo_caveat.setStyleSheet(
            f"color: {style.WARNING_TEXT}; background: {style.WARNING_BACKGROUND}; font-weight: 600;"
            f" border: 1px solid {style.WARNING_BORDER}; border-radius: 3px; padding: 5px 7px;"
        )
        self.demo_caveat.hide()
        self.caveat = QLabel(RESEARCH_CAVEAT)
        self.caveat.setObjectName("researchCaveat")
        self.caveat.setStyleSheet(f"color: {style.WARNING_TEXT}; font-size: 9pt;")
        self.priority = QLabel()
        self.priority.setObjectName("priorityBadge")
        self.positives = QLabel()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter diagnoses\u2026")
        self.filter.setClearButtonEnabled(True)
        self.group = QComboBox()
        self.group.addItem(ALL_GROUPS)
        self.list = DifferentialList()
        self.referrals = QLabel()
        self.referrals.setWordWrap(True)
        self.referrals.setTextFormat(Qt.TextFormat.RichText)
        self.hint = style.muted_label()
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._build()
        self.filter.textChanged.connect(lambda _t: self._refilter())
        self.group.currentIndexChanged.connect(lambda _i: self._refilter())
        self.list.chosen.connect(self.chosen)
        self.show_differential(None)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 6)
        layout.setSpacing(6)
        layout.addWidget(self.models)
        layout.addWidget(self.model_facts)
        layout.addWidget(self.progress)
        layout.addWidget(self.demo_caveat)
        layout.addWidget(self.caveat)
        summary = QHBoxLayout()
        summary.addWidget(self.priority)
        summary.addStretch(1)
        summary.addWidget(self.positives)
        layout.addLayout(summary)
        filters = QHBoxLayout()
        filters.addWidget(self.filter, 3)
        filters.addWidget(self.group, 2)
        self.group.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        layout.addLayout(filters)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.hint, 1)
        layout.addWidget(self.referrals)

    # --- content -----------------------------------------------------------------------------
    def show_differential(self, differential: Differential | None, *, facts: str = "") -> None:
        """Show a result (or the empty state) and keep the filter the reader typed."""
        self.differential = differential
        has = differential is not None
        for widget in (self.priority, self.positives, self.filter, self.group, self.list, self.referrals):
            widget.setVisible(has)
        self.hint.setVisible(not has)
        self.demo_caveat.setVisible(differential is not None and differential.is_demo)
        self.model_facts.setText(facts)
        self.model_facts.setVisible(bool(facts))
        if differential is None:
            self.list.show_items([], scale=1.0)
            return
        self._show_groups(differential)
        self._show_summary(differential)
        self._refilter()

    def set_hint(self, text: str) -> None:
        self.hint.setText(text)

    def _show_groups(self, differential: Differential) -> None:
        current = self.group.currentText()
        self.group.blockSignals(True)
        self.group.clear()
        self.group.addItems([ALL_GROUPS, *differential.groups()])
        self.group.setCurrentIndex(max(self.group.findText(current), 0))
        self.group.blockSignals(False)

    def _show_summary(self, differential: Differential) -> None:
        level = differential.priority_level or "none"
        self.priority.setText(differential.priority_display.upper())
        self.priority.setToolTip(
            "The priority level with the highest score: "
            + ", ".join(f"{k} {v:.2f}" for k, v in differential.priority_scores.items())
        )
        self.priority.setStyleSheet(
            f"background: {style.PRIORITY_COLORS.get(level, style.PRIORITY_COLORS['none'])}; color: #eef0f2;"
            " font-size: 8pt; font-weight: 700; border-radius: 3px; padding: 2px 7px;"
        )
        count = len(differential.positives)
        self.positives.setText(
            f"<span style='color:{style.POSITIVE}'>\u25cf</span> <b>{count}</b> of "
            f"{len(differential.diagnoses)} positive (margin &gt; 0)"
        )
        self.positives.setToolTip(
            "Margins, not probabilities: > 0 is positive at the authors' operating point."
        )
        referrals = differential.positive_referrals
        if referrals:
            items = ", ".join(f"<b>{r.display_name}</b> {format_margin(r.margin)}" for r in referrals)
            self.referrals.setText(f"<span style='color:{theme.MUTED}'>Referral:</span> {items}")
        else:
            self.referrals.setText(
                f"<span style='color:{theme.MUTED}'>Referral: none above its threshold</span>"
            )

    def _refilter(self) -> None:
        differential = self.differential
        if differential is None:
            return
        group = self.group.currentText()
        items = differential.matching(self.filter.text(), None if group == ALL_GROUPS else group)
        scale = max((abs(d.margin) for d in differential.diagnoses), default=1.0)
        self.list.show_items(items, scale=scale)

    def mark_selected(self, name: str | None) -> None:
        self.list.mark_selected(name)

    def set_busy(self, busy: bool) -> None:
        if not busy:
            self.progress.finish()
