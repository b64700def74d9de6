"""Help > About and ``--version``: app and library versions, licences, the research-use caveat.

The content comes from ``prima_core.version_info`` (Qt-free); this module only lays it out.
"""

from __future__ import annotations

import argparse
import html
import os
import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from prima_core import RESEARCH_CAVEAT, __version__
from prima_core.resources import resources_dir
from prima_core.version_info import APP_TITLE, LICENCE_NOTICES, component_versions, is_frozen, version_text

ICON = "icons/prima-viewer-256.png"


class VersionAction(argparse.Action):
    """``--version``: print versions and licences to stdout, then exit 0 (argparse's own wraps lines)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):  # noqa: A002
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        try:
            print(version_text(), file=sys.stdout, flush=True)
        except BrokenPipeError:  # piped into a reader that stopped early (``| head``): not an error
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        parser.exit()


def about_html() -> str:
    """The About text as HTML: title, caveat, versions, then each licence notice in full."""
    kind = "packaged app" if is_frozen() else "source checkout"
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>&nbsp;&nbsp;{html.escape(version)}</td></tr>"
        for name, version in component_versions().items()
    )
    parts = [
        f"<h2>{APP_TITLE} {__version__}</h2>",
        "<p>Brain MRI reading with the Prima foundation model beside you "
        f"({kind}).</p><p><b>{html.escape(RESEARCH_CAVEAT)}</b></p>",
        f"<h3>Software</h3><table>{rows}</table>",
        "<h3>Licences</h3><ul>",
    ]
    parts += [
        f"<li><b>{html.escape(n.title)}</b>: {html.escape(n.licence)}; covers {html.escape(n.covers)}</li>"
        for n in LICENCE_NOTICES
    ]
    parts.append("</ul>")
    for notice in LICENCE_NOTICES:
        parts.append(
            f"<h4>{html.escape(notice.title)}</h4><p><small>{html.escape(str(notice.path))}</small></p>"
        )
        parts.append(f'<pre style="white-space: pre-wrap">{html.escape(notice.text())}</pre>')
    return "".join(parts)


class AboutDialog(QDialog):
    """A scrollable About box: the licence texts are too long for a message box."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_TITLE}")
        self.setObjectName("aboutDialog")
        self.resize(680, 600)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(False)
        self.text.setHtml(about_html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        header = QHBoxLayout()
        icon = QLabel()
        pixmap = QPixmap(str(resources_dir() / ICON))
        if not pixmap.isNull():
            icon.setPixmap(
                pixmap.scaled(
                    64, 64, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
                )
            )
        header.addWidget(icon)
        caveat = QLabel(f"<b>{APP_TITLE} {__version__}</b><br>{html.escape(RESEARCH_CAVEAT)}")
        header.addWidget(caveat, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)


def show_about(parent: QWidget) -> AboutDialog:
    """Open the About dialog (non-blocking) and return it so the caller can keep it alive."""
    dialog = AboutDialog(parent)
    dialog.open()
    return dialog
