"""The ranked differential: one row per diagnosis with its margin drawn against its threshold.

Each row shows the display name (bold with an accent dot when positive), the group, the margin
as a number and as a bar whose zero line is the diagnosis' threshold: positive margins extend
to the right in the accent colour, negative ones to the left in grey. Up/Down move through the
list; Enter or a click selects the diagnosis (its heat map is then computed and shown).
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app import theme
from app.widgets import analysis_style as style
from prima_core.analysis.differential import RankedLabel, format_margin

ITEM_ROLE = Qt.ItemDataRole.UserRole
ROW_HEIGHT = 38
BAR_WIDTH = 96


def label_tooltip(item: RankedLabel) -> str:
    verdict = "positive" if item.positive else "below its threshold"
    return (
        f"<b>{item.display_name}</b> <span style='color:{theme.MUTED}'>({item.name})</span><br>"
        f"{item.group}<br>{item.description}<br><br>"
        f"Margin {format_margin(item.margin)}: {verdict}. A margin is the distance from the "
        "threshold the Prima authors chose; it is not a probability."
    )


class DifferentialModel(QAbstractListModel):
    """The rows shown (already filtered) and the scale shared by their bars."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.items: list[RankedLabel] = []
        self.scale = 1.0
        self.selected: str | None = None

    def set_items(self, items: list[RankedLabel], *, scale: float) -> None:
        self.beginResetModel()
        self.items = list(items)
        self.scale = max(scale, 1e-6)
        self.endResetModel()

    def set_selected(self, name: str | None) -> None:
        self.selected = name
        if self.items:
            self.dataChanged.emit(self.index(0), self.index(len(self.items) - 1))

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.items)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        item = self.items[index.row()]
        if role == ITEM_ROLE:
            return item
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{item.display_name} {format_margin(item.margin)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return label_tooltip(item)
        return None

    def row_of(self, name: str) -> int:
        return next((i for i, item in enumerate(self.items) if item.name == name), -1)


class DifferentialDelegate(QStyledItemDelegate):
    def sizeHint(self, option, index) -> QSize:  # noqa: N802
        return QSize(1, ROW_HEIGHT)  # as wide as the view

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        item: RankedLabel = index.data(ITEM_ROLE)
        model: DifferentialModel = index.model()
        rect = option.rect
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if item.name == model.selected:
            painter.fillRect(rect, QColor("#17303b"))
        elif option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, QColor(theme.RAISED))
        elif option.state & QStyle.StateFlag.State_MouseOver:
            painter.fillRect(rect, QColor("#121519"))
        if option.state & QStyle.StateFlag.State_HasFocus and option.state & QStyle.StateFlag.State_Selected:
            painter.setPen(QPen(QColor("#2b5566"), 1))
            painter.drawRect(QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5))
        self._paint_text(painter, rect, item)
        self._paint_bar(
            painter, QRectF(rect.right() - BAR_WIDTH - 8, rect.top() + 25, BAR_WIDTH, 7), item, model
        )
        painter.setPen(QColor("#16191d"))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        painter.restore()

    def _paint_text(self, painter: QPainter, rect, item: RankedLabel) -> None:
        if item.positive:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(style.POSITIVE))
            painter.drawEllipse(QRectF(rect.left() + 8, rect.top() + 10, 7, 7))
        base = QFont(painter.font())
        name_font = QFont(base)
        name_font.setBold(item.positive)
        painter.setFont(name_font)
        painter.setPen(QColor("#dfe3e7" if item.positive else theme.TEXT))
        text_width = rect.width() - 24 - 70
        name = painter.fontMetrics().elidedText(item.display_name, Qt.TextElideMode.ElideRight, text_width)
        painter.drawText(
            QRectF(rect.left() + 22, rect.top() + 3, text_width, 18), Qt.AlignmentFlag.AlignVCenter, name
        )
        margin_font = QFont(name_font)
        margin_font.setFamilies(["DejaVu Sans Mono", "Menlo", "Consolas", "monospace"])
        painter.setFont(margin_font)
        painter.setPen(QColor(style.POSITIVE if item.positive else theme.MUTED))
        painter.drawText(
            QRectF(rect.right() - 78, rect.top() + 3, 70, 18),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            format_margin(item.margin),
        )
        group_font = QFont(base)
        group_font.setPointSizeF(max(base.pointSizeF() - 1.5, 7.0))
        painter.setFont(group_font)
        painter.setPen(QColor(theme.MUTED))
        group_width = rect.width() - 22 - BAR_WIDTH - 20
        group = painter.fontMetrics().elidedText(item.group, Qt.TextElideMode.ElideRight, group_width)
        painter.drawText(
            QRectF(rect.left() + 22, rect.top() + 21, group_width, 15), Qt.AlignmentFlag.AlignVCenter, group
        )

    def _paint_bar(self, painter: QPainter, bar: QRectF, item: RankedLabel, model: DifferentialModel) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#15181c"))
        painter.drawRect(bar)
        centre = bar.center().x()
        length = min(abs(item.margin) / model.scale, 1.0) * bar.width() / 2
        painter.setBrush(QColor(style.POSITIVE if item.positive else style.NEGATIVE))
        left = centre if item.positive else centre - length
        painter.drawRect(QRectF(left, bar.top() + 1, length, bar.height() - 2))
        painter.setPen(QPen(QColor(style.ZERO_LINE), 1))
        painter.drawLine(int(centre), int(bar.top() - 2), int(centre), int(bar.bottom() + 2))


class DifferentialList(QListView):
    """The list view: Up/Down move, Enter or a click chooses."""

    chosen = Signal(str)  # diagnosis name

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("differentialList")
        self.list_model = DifferentialModel(self)
        self.setModel(self.list_model)
        self.setItemDelegate(DifferentialDelegate(self))
        self.setUniformItemSizes(True)
        self.setMouseTracking(True)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setStyleSheet(f"QListView {{ background: {theme.BACKGROUND}; border: none; outline: 0; }}")
        self.clicked.connect(self._choose_index)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self._choose_index(self.currentIndex())
            return
        super().keyPressEvent(event)

    def _choose_index(self, index: QModelIndex) -> None:
        item = index.data(ITEM_ROLE)
        if item is not None:
            self.chosen.emit(item.name)

    def show_items(self, items: list[RankedLabel], *, scale: float) -> None:
        current = self.currentIndex().data(ITEM_ROLE)
        self.list_model.set_items(items, scale=scale)
        keep = current.name if current is not None else self.list_model.selected
        row = self.list_model.row_of(keep) if keep else -1
        if row >= 0:
            self.setCurrentIndex(self.list_model.index(row))

    def mark_selected(self, name: str | None) -> None:
        self.list_model.set_selected(name)
        row = self.list_model.row_of(name) if name else -1
        if row >= 0:
            self.setCurrentIndex(self.list_model.index(row))
            self.scrollTo(self.list_model.index(row))
