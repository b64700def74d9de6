"""Fixtures for the viewer tests: real DICOM phantom studies on disk and a real window.

GUI tests need an X display; ``./test`` runs pytest under ``xvfb-run``. Without a display they
are skipped with that reason instead of crashing Qt.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tests.core.dicom_factory import make_series

# The phantom: an ellipsoid "head" of uniform tissue (300) on air (0), a bright cube (1000)
# towards the patient's left, front and top, and a dimmer block (600) on the patient's right.
CUBE_CENTER = np.array([24.0, -18.0, 12.0])  # LPS mm: Left, Anterior, Superior of the centre
CUBE_HALF = 6.0
BLOCK_CENTER = np.array([-26.0, 10.0, -9.0])  # Right, Posterior, Inferior
TISSUE = 300.0
SERIES_SHAPE = (64, 64, 24)  # columns, rows, slices
SERIES_SPACING = (2.0, 2.0, 3.0)


def head_phantom(points: np.ndarray) -> np.ndarray:
    x, y, z = points[..., 0], points[..., 1], points[..., 2]
    head = (x / 54) ** 2 + (y / 58) ** 2 + (z / 33) ** 2 <= 1.0
    values = np.where(head, TISSUE, 0.0)
    cube = np.all(np.abs(points - CUBE_CENTER) <= CUBE_HALF, axis=-1)
    block = np.all(np.abs(points - BLOCK_CENTER) <= 5.0, axis=-1)
    values = np.where(block, 600.0, values)
    return np.where(cube, 1000.0, values)


HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Skip this folder's tests without a display (before pytest-qt makes its QApplication)."""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return
    skip = pytest.mark.skip(reason="GUI test needs a display: run it under xvfb-run (./test does)")
    for item in items:
        if HERE in Path(item.fspath).resolve().parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def phantom_study(tmp_path_factory) -> Path:
    """One study, two series (axial T1 and sagittal FLAIR) and two files that are not images."""
    root = tmp_path_factory.mktemp("phantom_study")
    axial = make_series(
        root / "ax", shape=SERIES_SHAPE, spacing=SERIES_SPACING, phantom=head_phantom, description="AX T1"
    )
    make_series(
        root / "sag",
        orientation="sagittal",
        shape=(48, 40, 30),
        spacing=(2.5, 2.5, 4.0),
        phantom=head_phantom,
        description="SAG FLAIR",
        protocol="SAG T2 FLAIR",
        study_uid=axial.study_uid,
        series_number=2,
    )
    (root / "notes.txt").write_text("not an image")
    (root / "broken.dcm").write_bytes(b"DICM but not really" * 4)
    return root


@pytest.fixture(scope="session")
def oblique_study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("oblique_study")
    make_series(
        root, orientation="oblique", shape=(60, 60, 26), spacing=(2.0, 2.0, 3.0), phantom=head_phantom
    )
    return root


@pytest.fixture
def window(qtbot):
    """A real main window, shown, at a fixed size; closed after the test."""
    from app.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()  # keyboard shortcuts need the active window (no window manager under Xvfb)
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)
    yield win
    win.close()


def open_and_wait(qtbot, win, path: Path, *, timeout: int = 30_000) -> None:
    """Open a study and wait until it is imported, loaded and rendered."""
    with qtbot.waitSignal(win.ready, timeout=timeout):
        win.open_path(path)
    win.mpr.flush()
