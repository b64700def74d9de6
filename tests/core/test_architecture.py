"""The core must never import Qt or VTK (design convention 1)."""

import ast
from pathlib import Path

FORBIDDEN = ("PySide6", "vtk", "vtkmodules", "qtawesome", "qtpy", "app")
CORE = Path(__file__).resolve().parents[2] / "prima_core"


def test_core_imports_no_gui_modules():
    offenders = []
    for path in CORE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in FORBIDDEN:
                    offenders.append(f"{path.relative_to(CORE.parent)}: {name}")
    assert not offenders, offenders


def test_core_files_exist():
    assert (CORE / "io" / "volume.py").exists()
