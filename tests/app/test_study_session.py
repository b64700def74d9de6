"""Opening studies: browser, thumbnails, import report, background errors and cancellation."""

from __future__ import annotations

import shutil
import threading

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication

from app.widgets.import_report import ImportReportDialog
from app.workers import Worker
from tests.app.conftest import open_and_wait

pytestmark = pytest.mark.gui


def test_browser_lists_series_with_thumbnails_and_title(qtbot, window, phantom_study):
    open_and_wait(qtbot, window, phantom_study)
    uids = window.session.series_uids()
    assert len(uids) == 2
    assert all(window.browser.has_thumbnail(uid) for uid in uids)
    assert "FACTORY PHANTOM" in window.windowTitle() and "F0001" in window.windowTitle()
    texts = [window.browser._items[uid].text(0) for uid in uids]
    assert any("AX T1" in text for text in texts) and any("SAG FLAIR" in text for text in texts)
    sagittal_uid = next(uid for uid in uids if "SAG" in window.session.series(uid).description)
    window.browser._activated(window.browser._items[sagittal_uid])  # double-click / Enter on a series
    assert set(window.state.active_series.values()) == {sagittal_uid}
    assert all(view.display.uid == sagittal_uid for view in window.mpr.slice_views.values())


def test_import_report_lists_skipped_junk_one_click_away(qtbot, window, phantom_study):
    open_and_wait(qtbot, window, phantom_study)
    button = window.browser.report_button
    assert button.isVisible() and button.text().startswith("2 files")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = window.commands.dialog
    assert isinstance(dialog, ImportReportDialog) and dialog.isVisible()
    rows = dict(dialog.rows())
    names = {path.replace("\\", "/").rsplit("/", 1)[-1]: reason for path, reason in rows.items()}
    assert set(names) == {"notes.txt", "broken.dcm"}
    assert all(reason.strip() for reason in names.values())
    dialog.copy_to_clipboard()
    assert "notes.txt" in QApplication.clipboard().text()
    dialog.close()


def test_a_failing_import_shows_an_error_and_the_window_stays_usable(qtbot, window, tmp_path, phantom_study):
    empty = tmp_path / "nothing here"
    empty.mkdir()
    (empty / "readme.txt").write_text("no images")
    with qtbot.waitSignal(window.session.import_failed, timeout=10_000):
        window.open_path(empty)
    qtbot.waitUntil(lambda: bool(window.error_dialogs))
    dialog = window.error_dialogs[-1]
    assert dialog.isVisible() and dialog.windowTitle() == "Could not open the study"
    assert "readme.txt" in dialog.text() or "no" in dialog.text().lower()
    dialog.close()
    qtbot.waitUntil(lambda: not window.error_dialogs)
    open_and_wait(qtbot, window, phantom_study)  # still works
    assert window.mpr.slice_views["axial"].display is not None


def test_a_series_whose_files_vanish_shows_an_error(qtbot, window, phantom_study, tmp_path):
    """Headers import fine, then the files of one series go away before its pixels are read
    (a disconnected share or disc): the worker's exception becomes a dialog, not a crash."""
    study = tmp_path / "vanishing"
    shutil.copytree(phantom_study, study)
    # runs on the GUI thread right after import, before the queued sagittal load reaches the worker
    window.session.import_finished.connect(lambda _result: shutil.rmtree(study / "sag"))
    with qtbot.waitSignal(window.session.series_failed, timeout=20_000):
        window.open_path(study)
    qtbot.waitUntil(lambda: bool(window.error_dialogs))
    assert window.error_dialogs[-1].windowTitle() == "Could not load a series"
    assert "SAG FLAIR" in window.error_dialogs[-1].text()
    window.error_dialogs[-1].close()
    qtbot.waitUntil(lambda: window.mpr.slice_views["axial"].display is not None)  # the other series works


def test_cancel_stops_an_import_at_its_next_step(qtbot, window, phantom_study):
    gate = threading.Event()
    blocker = Worker(lambda *, progress, cancel: gate.wait(10), name="blocker")
    window.session.workers.submit(blocker)  # occupies the (serial) pool so the import waits in the queue
    with qtbot.waitSignal(window.session.import_cancelled, timeout=10_000):
        window.open_path(phantom_study)
        assert window.progress.isVisible()
        window.progress.cancel.click()
        gate.set()
    assert window.session.result is None


def test_drop_a_folder_on_the_window_opens_it(qtbot, window, phantom_study):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(phantom_study))])
    event = QDropEvent(
        QPointF(300, 300),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(window.ready, timeout=30_000):
        window.dropEvent(event)
    assert window.session.source == phantom_study
