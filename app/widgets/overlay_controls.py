"""Heat-map display controls: on/off, colour map with its colour bar, opacity and threshold."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QLabel, QSlider, QWidget

from app.state import OverlayColormap
from app.widgets import analysis_style as style
from app.widgets.colour_bar import ColourBar

DEFAULT_THRESHOLD = 0.25
DEFAULT_OPACITY = 0.5


def _slider(value: int, *, minimum: int) -> QSlider:
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(minimum, 100)
    slider.setValue(value)
    slider.setPageStep(10)
    return slider


class OverlayControls(QWidget):
    visibility_changed = Signal(bool)
    colormap_changed = Signal(str)
    opacity_changed = Signal(float)
    threshold_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.visible = QCheckBox("Heat map")
        self.visible.setChecked(True)
        self.visible.setToolTip("Show the heat map in the 2D and 3D views (H)")
        self.colormap = QComboBox()
        for colormap in OverlayColormap:
            self.colormap.addItem(colormap.value.capitalize(), colormap.value)
        self.colormap.setToolTip("Colour map")
        self.bar = ColourBar()
        self.opacity = _slider(int(100 * DEFAULT_OPACITY), minimum=0)
        self.opacity.setToolTip("Heat-map opacity")
        self.threshold = _slider(int(100 * DEFAULT_THRESHOLD), minimum=1)
        self.threshold.setToolTip("Hide heat below this fraction of the study's strongest patch")
        self.opacity_value = style.muted_label(wrap=False)
        self.threshold_value = style.muted_label(wrap=False)
        for label in (self.opacity_value, self.threshold_value):
            label.setMinimumWidth(34)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setHorizontalSpacing(8)
        layout.setVerticalSpacing(4)
        layout.addWidget(self.visible, 0, 0)
        layout.addWidget(self.bar, 0, 1)
        layout.addWidget(self.colormap, 0, 2)
        layout.addWidget(QLabel("Opacity"), 1, 0)
        layout.addWidget(self.opacity, 1, 1)
        layout.addWidget(self.opacity_value, 1, 2)
        layout.addWidget(QLabel("Threshold"), 2, 0)
        layout.addWidget(self.threshold, 2, 1)
        layout.addWidget(self.threshold_value, 2, 2)
        layout.setColumnStretch(1, 1)
        self.visible.toggled.connect(self.visibility_changed)
        self.colormap.currentIndexChanged.connect(self._colormap_chosen)
        self.opacity.valueChanged.connect(self._opacity_moved)
        self.threshold.valueChanged.connect(self._threshold_moved)
        self._show_values()

    def _show_values(self) -> None:
        self.opacity_value.setText(f"{self.opacity.value()} %")
        self.threshold_value.setText(f"{self.threshold.value() / 100:.2f}")
        self.bar.set_threshold(self.threshold.value() / 100)

    def _colormap_chosen(self, _index: int) -> None:
        value = self.colormap.currentData()
        self.bar.set_colormap(value)
        self.colormap_changed.emit(value)

    def _opacity_moved(self, value: int) -> None:
        self._show_values()
        self.opacity_changed.emit(value / 100)

    def _threshold_moved(self, value: int) -> None:
        self._show_values()
        self.threshold_changed.emit(value / 100)

    def set_opacity(self, opacity: float) -> None:
        self.opacity.setValue(round(100 * opacity))

    def set_threshold(self, threshold: float) -> None:
        self.threshold.setValue(round(100 * threshold))
