"""The Prima Viewer main window: study browser, multiplanar views, status bar, menus and toolbar."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QMessageBox, QWidget

from app.actions import build_actions
from app.analysis import install_analysis
from app.demo import demo_maker
from app.menus import build_menus, build_toolbar
from app.screenshot import grab_window
from app.session import StudySession
from app.state import Layout, ViewerState
from app.widgets.mpr_panel import MprPanel
from app.widgets.status_readout import ProgressReadout, StatusReadout
from app.widgets.study_browser import StudyBrowserPanel, patient_text
from app.window_commands import WindowCommands
from app.window_events import WindowEvents, error_text
from app.workers import Worker

APP_NAME = "Prima Viewer"


class MainWindow(QMainWindow):
    ready = Signal()  # a study is imported, its series loaded and the views rendered

    def __init__(self, *, automation: bool = False, layout: Layout | str = Layout.GRID) -> None:
        super().__init__()
        self.automation = automation
        self.exit_code = 0
        self.error_dialogs: list[QMessageBox] = []
        self.setWindowTitle(APP_NAME)
        self.setObjectName("mainWindow")
        self.resize(1500, 920)
        self.setAcceptDrops(True)
        self.state = ViewerState(self)
        self.state.set_layout(layout)
        self.session = StudySession(self)
        self.events = WindowEvents(self)  # session handlers first: they place the cursor
        self.mpr = MprPanel(self.state, self.session, self)
        self.setCentralWidget(self.mpr)
        self.browser = StudyBrowserPanel(self)
        self.browser_dock = self._dock("Study", self.browser, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.resizeDocks([self.browser_dock], [300], Qt.Orientation.Horizontal)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.progress = ProgressReadout(self)
        self.readout = StatusReadout(self)
        self.statusBar().addWidget(self.progress)
        self.statusBar().addPermanentWidget(self.readout)
        self.statusBar().setSizeGripEnabled(False)
        self.commands = WindowCommands(self)
        self.actions = build_actions(self, self.mpr, self.commands.handlers())
        self.preset_actions = self.commands.build_preset_actions()
        build_menus(self)
        self.toolbar = build_toolbar(self)
        self.events.connect_all()
        self.commands.sync_checks()
        self._screenshot_path: Path | None = None
        # --analyze/--select/--method/--model from the command line, for the analysis panel to honour
        self.launch_options: dict[str, object] = {}
        self._opening = False  # preparing something to open (the demo study)
        self.analysis = install_analysis(self)  # Differential and Explanation panels, Analyze

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock{title}")
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable | QDockWidget.DockWidgetFeature.DockWidgetMovable
        )
        self.addDockWidget(area, dock)
        return dock

    def add_side_panel(self, widget: QWidget, title: str) -> QDockWidget:
        """Dock a panel on the right (the analysis panel's place); returns its dock."""
        dock = self._dock(title, widget, Qt.DockWidgetArea.RightDockWidgetArea)
        self.menus["view"].addAction(dock.toggleViewAction())
        return dock

    # --- studies -----------------------------------------------------------------------------
    def open_path(self, path: str | Path) -> None:
        """Import a folder, DICOMDIR, zip or NIfTI in the background."""
        path = Path(path)
        self.progress.show_progress(None, f"Opening {path.name}…")
        self.session.open(path)

    def open_demo(self) -> None:
        """Prepare the built-in demo study in the background (first time only), then open it."""
        maker = demo_maker()
        if maker is None:
            self.show_error("Demo study", "the demo study is not available in this build")
            return
        self._opening = True
        worker = Worker(lambda *, progress, cancel: maker(progress=progress, cancel=cancel), name="demo")
        worker.signals.progress.connect(
            lambda event: self.progress.show_progress(
                event.fraction, event.message or "Preparing the demo study…"
            )
        )
        worker.signals.finished.connect(self.open_path)
        worker.signals.failed.connect(
            lambda exc: self.show_error("Could not prepare the demo study", error_text(exc))
        )
        worker.signals.cancelled.connect(self.progress.finish)
        worker.signals.done.connect(self._opened)
        self.progress.show_progress(None, "Preparing the demo study…")
        self.session.workers.submit(worker)

    def _opened(self) -> None:
        self._opening = False
        if not self.session.busy and self.session.result is None:
            self.on_ready()

    def update_title(self) -> None:
        result = self.session.result
        if not result or not result.studies:
            self.setWindowTitle(APP_NAME)
            return
        study = result.studies[0]
        more = f" (+{len(result.studies) - 1} studies)" if len(result.studies) > 1 else ""
        description = " · ".join(p for p in (study.description, study.study_date) if p)
        self.setWindowTitle(f"{patient_text(study)} — {description}{more} — {APP_NAME}")

    # --- errors ------------------------------------------------------------------------------
    def show_error(self, title: str, message: str) -> None:
        """A dialog the reader can dismiss; in automation mode, print and exit non-zero."""
        if self.automation:
            print(f"prima-viewer: {title}: {message}", file=sys.stderr)
            self.finish(1)
            return
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Close, self)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(
            lambda _r, b=box: self.error_dialogs.remove(b) if b in self.error_dialogs else None
        )
        self.error_dialogs.append(box)
        box.open()

    def finish(self, code: int) -> None:
        """Leave the event loop with ``code`` (automation runs)."""
        self.exit_code = code
        app = QApplication.instance()
        if app is not None:
            QTimer.singleShot(0, lambda: app.exit(code))

    # --- screenshots -------------------------------------------------------------------------
    def screenshot_when_ready(self, path: str | Path) -> None:
        """Save a screenshot once everything has loaded and rendered, then exit 0."""
        self._screenshot_path = Path(path)
        idle = not self.session.busy and not self._opening
        if idle and self.session.result is None and self.session.source is None:
            QTimer.singleShot(200, self._take_screenshot)

    def on_ready(self) -> None:
        self.mpr.flush()
        self.ready.emit()
        if not self.analysis.launch.holds_screenshot():  # --analyze: after the analysis instead
            self.screenshot_if_requested()

    def screenshot_if_requested(self) -> None:
        """Take the ``--screenshot`` now that everything asked for is shown."""
        if self._screenshot_path is not None and self.exit_code == 0:
            QTimer.singleShot(150, self._take_screenshot)

    def _take_screenshot(self) -> None:
        QApplication.processEvents()
        self.mpr.render_all()
        path = self._screenshot_path
        image = grab_window(self)
        path.parent.mkdir(parents=True, exist_ok=True)
        if image.isNull() or not image.save(str(path)):
            print(f"prima-viewer: could not write the screenshot {path}", file=sys.stderr)
            self.finish(2)
            return
        print(f"screenshot saved: {path}")
        self.finish(0)

    # --- window ------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_path(paths[0])

    def closeEvent(self, event) -> None:  # noqa: N802
        self.analysis.shutdown()
        self.session.shutdown()
        self.mpr.shutdown()
        super().closeEvent(event)
