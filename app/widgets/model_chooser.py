"""The model chooser: the demo model and the imported bundles (``list_models()``), plus a folder
named on the command line."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QSizePolicy

from prima_core.model_registry import ModelEntry

_KIND = {"demo": "demo, synthetic data", "official": "official weights"}


def entry_label(entry: ModelEntry) -> str:
    return f"{entry.name}  ({_KIND.get(entry.kind, entry.kind)})"


class ModelChooser(QComboBox):
    """Items carry the model spec that ``resolve_model`` understands (a name or a folder)."""

    model_chosen = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("modelChooser")
        self.setToolTip("Model used by Analyze")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumContentsLength(12)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.activated.connect(lambda _i: self._emit())

    def set_entries(self, entries: list[ModelEntry], *, current: str | None) -> None:
        self.blockSignals(True)
        self.clear()
        for entry in entries:
            self.addItem(entry_label(entry), entry.name)
            self.setItemData(self.count() - 1, entry.description or str(entry.path), 3)  # ToolTipRole
        if current and self.findData(current) < 0 and (Path(current) / "manifest.json").is_file():
            self.addItem(f"{Path(current).name}  (folder)", current)
        if self.count() == 0:
            self.addItem("No model installed", None)
        self.setEnabled(self.current_model() is not None)
        index = self.findData(current) if current else 0
        self.setCurrentIndex(max(index, 0))
        self.blockSignals(False)

    def current_model(self) -> str | None:
        value = self.currentData()
        return str(value) if value else None

    def choose(self, spec: str, *, emit: bool = True) -> None:
        """Make ``spec`` current (a folder not listed yet is added); ``emit``: tell listeners."""
        index = self.findData(spec)
        if index < 0:
            self.addItem(f"{Path(spec).name}  (folder)", spec)
            index = self.count() - 1
        self.setCurrentIndex(index)
        self.setEnabled(True)
        if emit:
            self._emit()

    def _emit(self) -> None:
        spec = self.current_model()
        if spec:
            self.model_chosen.emit(spec)
