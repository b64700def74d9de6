"""Start Prima Viewer: ``python main.py [STUDY] [--demo] [--analyze] [--screenshot PNG] ...``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from app.about import VersionAction
from app.demo import demo_maker
from prima_core import RESEARCH_CAVEAT

LAYOUTS = ("1x1", "1x3", "2x2")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="prima-viewer",
        description=f"Read brain MRI with the Prima foundation model beside you. {RESEARCH_CAVEAT}",
    )
    parser.add_argument("study", nargs="?", help="a DICOM folder, DICOMDIR, zip archive or NIfTI file")
    parser.add_argument("--demo", action="store_true", help="open the built-in synthetic demo study")
    parser.add_argument("--analyze", action="store_true", help="run the analysis once the study is open")
    parser.add_argument("--select", metavar="NAME", help="diagnosis to select after the analysis")
    parser.add_argument("--method", metavar="METHOD", help="saliency method for the selected diagnosis")
    parser.add_argument("--model", metavar="NAME_OR_DIR", help="model bundle name or folder")
    parser.add_argument(
        "--screenshot", metavar="PNG", help="save a screenshot once everything is shown, then exit"
    )
    parser.add_argument("--layout", choices=LAYOUTS, default="2x2", help="view layout (default 2x2)")
    parser.add_argument("--version", action=VersionAction, help="show versions and licences, then exit")
    return parser


def _analysis_problem(args: argparse.Namespace, *, has_study: bool) -> str | None:
    """Why the requested analysis cannot run (checked before any window opens), or ``None``."""
    from prima_core.analysis.methods import method_choice
    from prima_core.errors import UserError
    from prima_core.model_registry import resolve_model

    try:
        if args.method:
            method_choice(args.method)
        if args.model:
            resolve_model(args.model)
    except UserError as exc:
        return str(exc)
    wanted = args.analyze or args.select or args.method
    if wanted and not has_study:
        return "nothing to analyze: give a study folder or file, or --demo"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the viewer; returns the process exit code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_request:  # --help, --version, or a usage error
        return int(exit_request.code or 0)
    study = Path(args.study) if args.study and not args.demo else None
    if args.demo and demo_maker() is None:
        print(
            "prima-viewer: the demo study is not available in this build (prima_core.demo).", file=sys.stderr
        )
        return 1
    if study is not None and not study.exists():
        print(f"prima-viewer: no such file or folder: {study}", file=sys.stderr)
        return 1
    problem = _analysis_problem(args, has_study=study is not None or args.demo)
    if problem:
        print(f"prima-viewer: {problem}", file=sys.stderr)
        return 1

    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow
    from app.theme import apply_theme

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "prima-viewer"])
    app.setApplicationName("Prima Viewer")
    apply_theme(app)
    window = MainWindow(automation=bool(args.screenshot), layout=args.layout)
    window.launch_options = {
        "analyze": args.analyze,
        "select": args.select,
        "method": args.method,
        "model": args.model,
    }
    window.show()
    if args.demo:
        window.open_demo()
    elif study is not None:
        window.open_path(study)
    if args.screenshot:
        window.screenshot_when_ready(args.screenshot)
    code = app.exec()
    window.close()
    window.deleteLater()
    return code if code else window.exit_code
