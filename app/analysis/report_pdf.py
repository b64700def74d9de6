"""Paint a one-page PDF report (QPdfWriter + QPainter) from ``prima_core.analysis.report``'s content.

Only layout lives here; the wording, order and caveats come from the core. White paper, dark
text, the key images as the reader saw them (heat map included), the caveats in a box at the top.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPageLayout, QPageSize, QPainter, QPdfWriter, QPen

from prima_core.analysis.differential import format_margin
from prima_core.analysis.report import ReportContent

DPI = 150
INK = QColor("#1d2126")
GREY = QColor("#5d646d")
LIGHT = QColor("#d5d9de")
ACCENT = QColor("#1f7ea6")
WARN = QColor("#8a5a00")
WARN_FILL = QColor("#fff4dc")
LABEL_W = 110  # the header's label column ("Accession")
FOOTER = 190  # room kept below the differential for the explanation, model and note lines


def _font(size: float, *, bold: bool = False, mono: bool = False) -> QFont:
    font = QFont("DejaVu Sans Mono" if mono else "DejaVu Sans")
    font.setPointSizeF(size)
    font.setBold(bold)
    return font


class _Page:
    """A cursor down the page: each block draws at ``y`` and moves it on."""

    def __init__(self, painter: QPainter, width: float, height: float) -> None:
        self.p = painter
        self.width = width
        self.height = height
        self.y = 0.0

    def text(
        self, text: str, *, size: float = 9, bold: bool = False, colour: QColor = INK, gap: float = 4
    ) -> None:
        self.p.setFont(_font(size, bold=bold))
        self.p.setPen(colour)
        rect = self.p.boundingRect(QRectF(0, self.y, self.width, 2000), Qt.TextFlag.TextWordWrap, text)
        self.p.drawText(QRectF(0, self.y, self.width, rect.height()), Qt.TextFlag.TextWordWrap, text)
        self.y += rect.height() + gap

    def rule(self, gap: float = 10) -> None:
        self.p.setPen(QPen(LIGHT, 1))
        self.p.drawLine(0, int(self.y + gap / 2), int(self.width), int(self.y + gap / 2))
        self.y += gap


def _caveat_box(page: _Page, caveats: list[str]) -> None:
    page.p.setFont(_font(9.5, bold=True))
    text = "\n".join(caveats)
    inner = page.p.boundingRect(QRectF(12, 0, page.width - 24, 2000), Qt.TextFlag.TextWordWrap, text)
    box = QRectF(0, page.y, page.width, inner.height() + 16)
    page.p.setPen(QPen(WARN, 1.5))
    page.p.setBrush(WARN_FILL)
    page.p.drawRoundedRect(box, 4, 4)
    page.p.setPen(WARN)
    page.p.drawText(box.adjusted(12, 8, -12, -8), Qt.TextFlag.TextWordWrap, text)
    page.y += box.height() + 10


def _facts(page: _Page, content: ReportContent) -> None:
    columns = (content.patient, content.study)
    top = page.y
    bottom = top
    for index, pairs in enumerate(columns):
        x = index * page.width / 2
        y = top
        for label, value in pairs:
            page.p.setFont(_font(8.5))
            page.p.setPen(GREY)
            page.p.drawText(QRectF(x, y, LABEL_W, 18), Qt.AlignmentFlag.AlignLeft, label)
            page.p.setFont(_font(9, bold=label in ("Patient", "Study")))
            page.p.setPen(INK)
            page.p.drawText(
                QRectF(x + LABEL_W, y, page.width / 2 - LABEL_W - 10, 18), Qt.AlignmentFlag.AlignLeft, value
            )
            y += 20
        bottom = max(bottom, y)
    page.y = bottom + 6


def _images(page: _Page, images: list[tuple[str, QImage]]) -> None:
    if not images:
        return
    gap = 10
    width = (page.width - gap * (len(images) - 1)) / len(images)
    height = width
    for index, (caption, image) in enumerate(images):
        x = index * (width + gap)
        target = QRectF(x, page.y, width, height)
        page.p.fillRect(target, QColor("black"))
        if not image.isNull():
            scaled = image.scaled(
                int(width * 2),
                int(height * 2),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            w, h = scaled.width() / 2, scaled.height() / 2
            page.p.drawImage(QRectF(x + (width - w) / 2, page.y + (height - h) / 2, w, h), scaled)
        page.p.setFont(_font(8))
        page.p.setPen(GREY)
        page.p.drawText(QRectF(x, page.y + height + 2, width, 16), Qt.AlignmentFlag.AlignLeft, caption)
    page.y += height + 24


def _differential(page: _Page, content: ReportContent) -> None:
    page.text(f"{content.differential_note}  {content.positives_line}", size=8.5, colour=GREY, gap=6)
    row = 21.0
    scale = max((abs(d.margin) for d in content.differential), default=1.0) or 1.0
    bar_w, margin_w = 160.0, 110.0
    name_w = page.width - bar_w - margin_w - 200
    fits = max(int((page.height - page.y - FOOTER) / row) - 1, 1)
    shown = content.differential[:fits]
    for item in shown:
        y = page.y
        if item.positive:
            page.p.setPen(Qt.PenStyle.NoPen)
            page.p.setBrush(ACCENT)
            page.p.drawEllipse(QRectF(2, y + 6, 8, 8))
        page.p.setFont(_font(9, bold=item.positive))
        page.p.setPen(INK)
        page.p.drawText(QRectF(16, y, name_w, row), Qt.AlignmentFlag.AlignVCenter, item.display_name)
        page.p.setFont(_font(8))
        page.p.setPen(GREY)
        page.p.drawText(QRectF(16 + name_w, y, 170, row), Qt.AlignmentFlag.AlignVCenter, item.group)
        page.p.setFont(_font(9, bold=item.positive, mono=True))
        page.p.setPen(ACCENT if item.positive else GREY)
        right = page.width - bar_w - 10
        page.p.drawText(
            QRectF(right - margin_w, y, margin_w, row),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            format_margin(item.margin),
        )
        centre = page.width - bar_w / 2
        length = min(abs(item.margin) / scale, 1.0) * bar_w / 2
        page.p.setPen(Qt.PenStyle.NoPen)
        page.p.setBrush(ACCENT if item.positive else LIGHT)
        page.p.drawRect(QRectF(centre if item.positive else centre - length, y + 6, length, row - 12))
        page.p.setPen(QPen(GREY, 1))
        page.p.drawLine(int(centre), int(y + 3), int(centre), int(y + row - 3))
        page.y += row
    left_off = len(content.differential) - len(shown)
    if left_off:
        page.text(f"+ {left_off} more listed in the results JSON.", size=8, colour=GREY, gap=0)
    page.y += 6


def write_report_pdf(path: Path, content: ReportContent, images: list[tuple[str, QImage]]) -> Path:
    """Write the one-page report to ``path``; returns it."""
    writer = QPdfWriter(str(path))
    writer.setResolution(DPI)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait, QMarginsF(12, 12, 12, 12)
        )
    )
    writer.setTitle(content.title)
    writer.setCreator("Prima Viewer")
    painter = QPainter(writer)
    try:
        page = _Page(painter, writer.width(), writer.height())
        page.text(content.title, size=15, bold=True, gap=2)
        page.text(content.generated, size=8, colour=GREY, gap=8)
        _caveat_box(page, content.caveats)
        _facts(page, content)
        _images(page, images)
        page.text(f"{content.priority} \u00b7 {content.referrals_line}", size=9.5, bold=True, gap=6)
        _differential(page, content)
        page.rule()
        for line in content.explanation_lines:
            page.text(line, size=8.5, gap=2)
        page.rule()
        page.text(content.model_line, size=8.5, colour=GREY, gap=2)
        page.text(content.margins_note, size=8, colour=GREY, gap=2)
    finally:
        painter.end()
    return Path(path)
