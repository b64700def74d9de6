"""Help > About and ``--version`` in the app: versions, licences and the research-use caveat."""

from __future__ import annotations

import os

import pytest

from prima_core import __version__
from prima_core.version_info import LICENCE_NOTICES

needs_display = pytest.mark.skipif(
    not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")),
    reason="GUI test needs a display: run it under xvfb-run (./test does)",
)


def test_version_flag_prints_versions_and_licences(capsys):
    from app.main import main

    assert main(["--version"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"prima-viewer {__version__} ")
    assert "Research use, not for clinical decisions." in out
    assert "VTK" in out and "PyTorch" in out and "Prima model (MLiNS Laboratory): MIT" in out


def test_about_html_holds_versions_caveat_and_every_licence_text():
    from app.about import about_html

    text = about_html()
    assert f"Prima Viewer {__version__}" in text
    assert "Research use, not for clinical decisions." in text
    for name in ("Qt (PySide6)", "VTK", "PyTorch", "MONAI", "pydicom"):
        assert name in text
    assert "Copyright (c) 2025 MLiNS Laboratory" in text
    for notice in LICENCE_NOTICES:
        assert notice.title.replace("&", "&amp;") in text


@pytest.mark.gui
@needs_display
def test_help_about_opens_the_about_dialog(qtbot):
    from app.about import AboutDialog
    from app.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.actions["about"].trigger()
    dialog = window.commands.dialog
    assert isinstance(dialog, AboutDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    plain = dialog.text.toPlainText()
    assert "Research use, not for clinical decisions." in plain
    assert "MIT License" in plain and "PyTorch" in plain
    dialog.close()
    window.close()
