"""The packaging recipes parse and name what the app needs (no build: that is installers/build_linux.sh)."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALLERS = ROOT / "installers"
SPEC = INSTALLERS / "prima_viewer.spec"


def spec_tree() -> ast.Module:
    source = SPEC.read_text(encoding="utf-8")
    compile(source, str(SPEC), "exec")
    return ast.parse(source)


def called(tree: ast.Module) -> set[str]:
    return {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def string_constants(tree: ast.Module) -> set[str]:
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def test_spec_compiles_and_builds_a_onedir_app_with_a_mac_bundle():
    tree = spec_tree()
    assert {"Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"} <= called(tree)
    exe = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "EXE")
    keywords = {k.arg: k.value for k in exe.keywords}
    exclude_binaries = keywords["exclude_binaries"]
    assert isinstance(exclude_binaries, ast.Constant) and exclude_binaries.value is True
    assert "darwin" in string_constants(tree)


def test_spec_bundles_the_resources_and_the_app_icon():
    strings = string_constants(spec_tree())
    assert {"resources", "icons", "prima-viewer-256.png", "main.py", "qtawesome"} <= strings
    assert (ROOT / "resources" / "icons" / "prima-viewer-256.png").is_file()
    assert (ROOT / "resources" / "icons" / "prima-viewer.svg").is_file()


def test_spec_keeps_metadata_for_versions_and_jpeg_plugins_and_excludes_dev_tools():
    strings = string_constants(spec_tree())
    needed = ("PySide6-Essentials", "vtk", "torch", "monai", "pydicom", "pylibjpeg-openjpeg", "pylibjpeg-rle")
    assert set(needed) <= strings
    for excluded in ("tkinter", "pytest", "PySide6.QtWebEngineCore", "SimpleITK", "nilearn", "triton"):
        assert excluded in strings


def test_every_vtk_module_the_app_imports_exists():
    imported = set()
    for path in (ROOT / "app").rglob("*.py"):
        imported |= set(re.findall(r"vtkmodules\.(vtk\w+)", path.read_text(encoding="utf-8")))
    vtkmodules = pytest.importorskip("vtkmodules")
    available = {p.name.split(".")[0] for p in Path(vtkmodules.__file__).parent.glob("vtk*")}
    assert imported and imported <= available


def test_windows_and_mac_recipes_name_the_bundle_and_a_per_user_install():
    iss = (INSTALLERS / "windows" / "prima_viewer.iss").read_text(encoding="utf-8")
    assert "PrivilegesRequired=lowest" in iss and "PrivilegesRequiredOverridesAllowed=dialog" in iss
    assert r"build\pyinstaller\dist\prima-viewer" in iss
    assert "{autoprograms}" in iss and "prima-viewer.exe" in iss
    dmg = (INSTALLERS / "macos" / "build_dmg.sh").read_text(encoding="utf-8")
    assert "hdiutil create" in dmg and "Prima Viewer.app" in dmg


@pytest.mark.parametrize(
    "script",
    [
        "build_linux.sh",
        "linux/install.sh",
        "linux/uninstall.sh",
        "macos/build_dmg.sh",
    ],
)
def test_shell_scripts_parse(script):
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    done = subprocess.run([bash, "-n", str(INSTALLERS / script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "script", ["linux/smoke_test.py", "linux/smoke_support.py", "pyinstaller_hooks/hook-PySide6.QtGui.py"]
)
def test_python_helpers_compile(script):
    compile((INSTALLERS / script).read_text(encoding="utf-8"), script, "exec")
