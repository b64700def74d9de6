"""Top regions of an explanation: series, centre in patient coordinates, score. A click moves the
crosshair there (and shows that series if no view does)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem

from app.widgets.status_readout import format_lps

INDEX_ROLE = Qt.ItemDataRole.UserRole


class RegionsList(QTreeWidget):
    region_chosen = Signal(int)  # index into the explanation's regions

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("regionsList")
        self.setColumnCount(4)
        self.setHeaderLabels(["#", "Series", "Centre (mm)", "Score"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.itemClicked.connect(lambda item, _c: self.region_chosen.emit(item.data(0, INDEX_ROLE)))
        self.itemActivated.connect(lambda item, _c: self.region_chosen.emit(item.data(0, INDEX_ROLE)))

    def set_regions(self, regions: list, *, series_labels: dict[str, str]) -> None:
        """``regions``: ``prima_core.explain.Region`` objects; labels: series name -> display text."""
        self.clear()
        for index, region in enumerate(regions):
            centre = format_lps(region.center_lps).replace("  ", " ")
            label = series_labels.get(region.series, region.series)
            item = QTreeWidgetItem(
                [str(index + 1), label, " ".join(centre.split()), f"{region.relative:.2f}"]
            )
            item.setData(0, INDEX_ROLE, index)
            item.setToolTip(1, region.series)
            item.setToolTip(3, f"Relative to the strongest patch of the study (raw score {region.score:.3g})")
            item.setTextAlignment(3, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.addTopLevelItem(item)
