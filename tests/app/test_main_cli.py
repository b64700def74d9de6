"""``main.py`` as a reader and as automation: arguments, screenshots, exit codes."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage

from app.main import main

pytestmark = pytest.mark.gui


def image_array(path) -> np.ndarray:
    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    buffer = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    rows = buffer.reshape(image.height(), image.bytesPerLine())[:, : 3 * image.width()]
    return rows.reshape(image.height(), image.width(), 3).copy()  # own the pixels: the QImage goes away


def test_screenshot_of_a_study_is_written_and_not_black(qtbot, phantom_study, tmp_path, capsys):
    png = tmp_path / "shot.png"
    code = main([str(phantom_study), "--screenshot", str(png), "--layout", "1x3"])
    assert code == 0
    pixels = image_array(png)
    assert pixels.shape[0] > 400 and pixels.shape[1] > 600
    grey = pixels.mean(axis=2)
    middle = grey[grey.shape[0] // 4 : 3 * grey.shape[0] // 4, grey.shape[1] // 4 :]
    assert (middle > 40).sum() > 20_000  # the rendered phantom's tissue, not black GL windows


def test_screenshot_run_on_an_unreadable_study_fails_with_a_message(qtbot, tmp_path, capsys):
    folder = tmp_path / "empty"
    folder.mkdir()
    code = main([str(folder), "--screenshot", str(tmp_path / "never.png")])
    assert code == 1
    assert "Could not open the study" in capsys.readouterr().err
    assert not (tmp_path / "never.png").exists()


def test_arguments(capsys, tmp_path):
    assert main(["--version"]) == 0
    assert "prima-viewer" in capsys.readouterr().out
    assert main([str(tmp_path / "missing")]) == 1
    assert "no such file" in capsys.readouterr().err
    assert main(["--layout", "3x3"]) == 2  # argparse usage error


@pytest.mark.slow
def test_demo_study_opens_and_is_screenshotted(qtbot, tmp_path):
    png = tmp_path / "demo.png"
    assert main(["--demo", "--screenshot", str(png), "--layout", "1x1"]) == 0
    grey = image_array(png).mean(axis=2)
    assert (grey[grey.shape[0] // 4 : 3 * grey.shape[0] // 4, grey.shape[1] // 3 :] > 60).sum() > 20_000


def test_version_into_a_closed_pipe_exits_quietly():
    """``prima-viewer --version | head``: a reader that stops early is not an error (no traceback)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    try:
        done = subprocess.run(
            [sys.executable, str(Path(__file__).resolve().parents[2] / "main.py"), "--version"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 0
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
