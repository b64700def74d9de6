"""``prima_core.version_info``: what ``--version`` and Help > About tell the reader."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

from prima_core import RESEARCH_CAVEAT, __version__
from prima_core.resources import resources_dir
from prima_core.version_info import (
    COMPONENTS,
    LICENCE_NOTICES,
    NOT_INSTALLED,
    component_versions,
    torch_build,
    version_text,
)

ROOT = Path(__file__).resolve().parents[2]


def test_versions_name_python_and_every_library_with_the_installed_version():
    versions = component_versions()
    assert list(versions) == ["Python", *(c.name for c in COMPONENTS)]
    assert versions["Python"] == ".".join(map(str, sys.version_info[:3]))
    assert versions["pydicom"] == importlib.metadata.version("pydicom")
    assert versions["MONAI"] == importlib.metadata.version("monai")
    assert all(v != NOT_INSTALLED for v in versions.values()), versions


def test_version_text_has_app_version_caveat_libraries_and_licences():
    text = version_text()
    first, caveat = text.splitlines()[:2]
    assert first.startswith(f"prima-viewer {__version__} (source checkout")
    assert caveat == RESEARCH_CAVEAT == "Research use, not for clinical decisions."
    for name in ("Python", "Qt (PySide6)", "VTK", "PyTorch", "MONAI", "pydicom"):
        assert f"  {name} " in text
    assert "(CPU build)" in text or "(CUDA" in text
    assert "Prima Viewer: MIT" in text
    assert "Prima model (MLiNS Laboratory): MIT" in text
    assert "MNI152" in text
    for notice in LICENCE_NOTICES:
        assert str(notice.path) in text


def test_version_text_does_not_import_the_heavy_libraries():
    code = (
        "import sys; from prima_core.version_info import version_text; version_text(); "
        "print(sorted(m for m in ('torch', 'PySide6', 'vtkmodules', 'monai') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_licence_files_are_in_resources_and_say_what_they_must():
    texts = {notice.relative_path: notice.text() for notice in LICENCE_NOTICES}
    project = texts["licenses/PRIMA_VIEWER_LICENSE.txt"]
    assert project.startswith("MIT License") and "Research use, not for clinical decisions." in project
    weights = texts["licenses/PRIMA_WEIGHTS_LICENSE.txt"]
    assert "Copyright (c) 2025 MLiNS Laboratory" in weights and "MIT License" in weights
    assert "does NOT contain the official Prima weights" in " ".join(weights.split())
    third = texts["licenses/THIRD_PARTY.txt"]
    for name in ("LGPL-3.0", "GPL-3.0", "pylibjpeg-libjpeg", "PyTorch", "VTK", "MONAI"):
        assert name in third
    for full_text in ("LGPL-3.0.txt", "GPL-3.0.txt"):  # PySide6's wheels ship no licence files
        assert "GNU" in (resources_dir() / "licenses" / full_text).read_text(encoding="utf-8")[:200]
    for notice in LICENCE_NOTICES:
        if notice.relative_path.startswith("licenses/"):
            assert notice.path.is_file() and notice.path.parent == resources_dir() / "licenses"


def test_mni_notice_is_referenced_not_duplicated():
    mni = next(n for n in LICENCE_NOTICES if "MNI152" in n.title)
    assert mni.relative_path == "demo/MNI152_NOTICE.txt"
    assert not list((ROOT / "resources" / "licenses").glob("*MNI*"))
    if mni.path.is_file():
        assert mni.text() == mni.path.read_text(encoding="utf-8")
    else:
        assert "missing from this installation" in mni.text()


@pytest.mark.parametrize(
    ("version", "requirements", "build"),
    [
        ("2.13.0+cpu", [], "CPU"),
        ("2.13.0+cu126", [], "CUDA 12.6"),
        ("2.5.1+cu118", [], "CUDA 11.8"),
        ("2.13.0", ["nvidia-cudnn-cu12==9.1; platform_system == 'Linux'"], "CUDA"),
        ("2.13.0", [], "CPU"),
        ("2.4.0+rocm6.1", [], "ROCm 6.1"),
    ],
)
def test_torch_build_from_version_and_requirements(version, requirements, build):
    assert torch_build(version, requirements=requirements) == build
