"""The patient / study / series browser, with a thumbnail of each series' middle slice."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QLabel, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app import theme
from app.session import series_label
from prima_core.io import ImportResult, Series, Study

UID_ROLE = Qt.ItemDataRole.UserRole
THUMB = 72


def gray_image(pixels: np.ndarray) -> QImage:
    """A uint8 array (rows, cols) as a QImage that owns its memory."""
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    height, width = pixels.shape
    return QImage(pixels.data, width, height, width, QImage.Format.Format_Grayscale8).copy()


def _series_details(series: Series) -> str:
    ni, nj, nk = series.shape
    spacing = " × ".join(f"{s:g}" for s in series.spacing)
    return f"{series.sequence.value} · {series.plane.value} · {ni}×{nj}×{nk} · {spacing} mm"


def _study_text(study: Study) -> str:
    date = study.study_date
    if len(date) == 8 and date.isdigit():
        date = f"{date[:4]}-{date[4:6]}-{date[6:]}"
    return " · ".join(part for part in (date, study.description or "Study") if part)


def _bold(item: QTreeWidgetItem) -> None:
    font = item.font(0)
    font.setBold(True)
    item.setFont(0, font)


def patient_text(study: Study) -> str:
    name = study.patient_name.replace("^", " ").strip() or "Anonymous"
    parts = [name, study.patient_id, study.patient_sex, study.patient_age]
    return " · ".join(part for part in parts if part)


class StudyBrowserPanel(QWidget):
    series_activated = Signal(str)  # uid: show it in the 2D views
    report_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("studyBrowser")
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setIconSize(QSize(THUMB, THUMB))
        self.tree.setIndentation(12)
        self.tree.setUniformRowHeights(False)
        self.tree.itemActivated.connect(self._activated)
        self.tree.itemDoubleClicked.connect(self._activated)
        self.empty = QLabel("No study open.\nFile ▸ Open (Ctrl+O) or drop a folder here.")
        self.empty.setObjectName("emptyHint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.report_button = QPushButton()
        self.report_button.setObjectName("reportButton")
        self.report_button.setFlat(True)
        self.report_button.setIcon(theme.icon("mdi6.file-alert-outline", color=theme.MUTED))
        self.report_button.clicked.connect(self.report_requested)
        self.report_button.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.report_button)
        self.tree.hide()
        self._items: dict[str, QTreeWidgetItem] = {}

    def set_result(self, result: ImportResult) -> None:
        self.tree.clear()
        self._items.clear()
        patients: dict[str, QTreeWidgetItem] = {}
        for study in result.studies:
            key = study.patient_id or study.patient_name
            patient = patients.get(key)
            if patient is None:
                patient = QTreeWidgetItem(self.tree, [patient_text(study)])
                patient.setToolTip(0, patient_text(study))
                _bold(patient)
                patients[key] = patient
            study_item = QTreeWidgetItem(patient, [_study_text(study)])
            study_item.setToolTip(0, _study_text(study))
            for series in study.series:
                item = QTreeWidgetItem(study_item, [f"{series_label(series)}\n{_series_details(series)}"])
                uid = series.series_instance_uid
                item.setData(0, UID_ROLE, uid)
                item.setToolTip(0, "\n".join([series.model_name, *series.warnings]))
                item.setSizeHint(0, QSize(THUMB + 8, THUMB + 6))
                self._items[uid] = item
        self.tree.expandAll()
        self.tree.setVisible(bool(result.studies))
        self.empty.setVisible(not result.studies)
        count = len(result.skipped)
        self.report_button.setText(f"{count} file{'s' if count != 1 else ''} not used: see why")
        self.report_button.setVisible(count > 0)

    def set_thumbnail(self, uid: str, pixels: np.ndarray) -> None:
        item = self._items.get(uid)
        if item is not None:
            pixmap = QPixmap.fromImage(gray_image(pixels))
            item.setIcon(0, QIcon(pixmap))

    def has_thumbnail(self, uid: str) -> bool:
        item = self._items.get(uid)
        return item is not None and not item.icon(0).isNull()

    def select(self, uid: str) -> None:
        item = self._items.get(uid)
        if item is not None:
            self.tree.setCurrentItem(item)

    def _activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        uid = item.data(0, UID_ROLE)
        if uid:
            self.series_activated.emit(uid)
