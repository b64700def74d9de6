"""The slim bar above a view: the plane's tag and the chooser of the series it shows."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QWidget

from app import theme
from app.state import ViewerState, ViewName, connect_handlers, disconnect_handlers

_TITLES = {
    ViewName.AXIAL: "Axial",
    ViewName.CORONAL: "Coronal",
    ViewName.SAGITTAL: "Sagittal",
    ViewName.VOLUME: "3D",
}


class ViewHeader(QWidget):
    def __init__(self, view: ViewName, *, state: ViewerState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = ViewName(view)
        self.state = state
        self.setObjectName("viewHeader")
        self.tag = QLabel(_TITLES[self.view])
        self.tag.setObjectName("viewTag")
        self.tag.setStyleSheet(f"color: {theme.PLANE_COLORS[self.view.value]};")
        self.series_chooser = QComboBox()
        self.series_chooser.setObjectName("seriesChooser")
        self.series_chooser.setToolTip(f"Series shown in the {_TITLES[self.view].lower()} view")
        self.series_chooser.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.series_chooser.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.series_chooser.currentIndexChanged.connect(self._chosen)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 4, 2)
        layout.setSpacing(8)
        layout.addWidget(self.tag)
        layout.addWidget(self.series_chooser)
        layout.addStretch(1)
        self._connections = connect_handlers(state, self)
        self.set_active(state.active_view == self.view)

    def set_choices(self, choices: list[tuple[str, str]]) -> None:
        """``(uid, label)`` pairs; keeps the state's choice selected."""
        self.series_chooser.blockSignals(True)
        self.series_chooser.clear()
        for uid, label in choices:
            self.series_chooser.addItem(label, uid)
        self._select(self.state.active_series.get(self.view.value, ""))
        self.series_chooser.blockSignals(False)

    def _select(self, uid: str) -> None:
        index = self.series_chooser.findData(uid)
        self.series_chooser.setCurrentIndex(index)

    def _chosen(self, index: int) -> None:
        uid = self.series_chooser.itemData(index)
        if uid:
            self.state.set_active_series(self.view.value, uid)

    def set_active(self, active: bool) -> None:
        self.setProperty("active", active)
        self.style().unpolish(self)
        self.style().polish(self)

    def _on_active_series_changed(self, view: str, uid: str) -> None:
        if view == self.view.value:
            self.series_chooser.blockSignals(True)
            self._select(uid)
            self.series_chooser.blockSignals(False)

    def _on_active_view_changed(self, view: str) -> None:
        self.set_active(view == self.view.value)

    def shutdown(self) -> None:
        disconnect_handlers(self._connections)
