"""What this installation is: the app version, the versions of the libraries it runs on, its licences.

Used by ``prima-viewer --version`` and the About dialog. Qt-free and cheap: versions come from the
installed packages' metadata (the packaged app carries it), so asking for them imports neither Qt,
VTK nor torch. A library that is already imported reports its run-time version instead.
"""

from __future__ import annotations

import importlib.metadata
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from prima_core import RESEARCH_CAVEAT, __version__
from prima_core.resources import resources_dir

APP_TITLE = "Prima Viewer"
NOT_INSTALLED = "not installed"


@dataclass(frozen=True)
class Component:
    """A library shown in ``--version`` and About: display name, distributions, import name."""

    name: str
    distributions: tuple[str, ...]
    module: str


COMPONENTS = (
    Component("Qt (PySide6)", ("PySide6-Essentials", "PySide6"), "PySide6"),
    Component("VTK", ("vtk",), "vtkmodules"),
    Component("PyTorch", ("torch",), "torch"),
    Component("MONAI", ("monai",), "monai"),
    Component("Captum", ("captum",), "captum"),
    Component("pydicom", ("pydicom",), "pydicom"),
    Component("nibabel", ("nibabel",), "nibabel"),
    Component("NumPy", ("numpy",), "numpy"),
    Component("SciPy", ("scipy",), "scipy"),
)


@dataclass(frozen=True)
class LicenceNotice:
    """A licence the reader should see: what it covers and where its text is under ``resources/``."""

    title: str
    licence: str
    covers: str
    relative_path: str

    @property
    def path(self) -> Path:
        return resources_dir() / self.relative_path

    def text(self) -> str:
        """The notice's full text, or a line saying the file is missing from this installation."""
        try:
            return self.path.read_text(encoding="utf-8")
        except OSError:
            return f"(notice file missing from this installation: {self.relative_path})"


LICENCE_NOTICES = (
    LicenceNotice("Prima Viewer", "MIT", "this program", "licenses/PRIMA_VIEWER_LICENSE.txt"),
    LicenceNotice(
        "Prima model (MLiNS Laboratory)",
        "MIT",
        "official Prima weights in imported bundles, and the Prima architecture",
        "licenses/PRIMA_WEIGHTS_LICENSE.txt",
    ),
    LicenceNotice(
        "MNI152 ICBM 2009a template",
        "copyright notice of the McConnell Brain Imaging Centre",
        "the anatomy of the synthetic demo study",
        "demo/MNI152_NOTICE.txt",
    ),
    LicenceNotice(
        "Bundled libraries",
        "various (LGPL-3.0 Qt, GPL-3.0 libjpeg plug-in, BSD, MIT, Apache-2.0)",
        "the libraries inside the packaged app",
        "licenses/THIRD_PARTY.txt",
    ),
)


def _distribution_version(names: tuple[str, ...]) -> str | None:
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def _loaded_version(component: Component) -> str | None:
    """The run-time version of a library that is already imported (never imports it)."""
    if component.module == "PySide6":
        qtcore = sys.modules.get("PySide6.QtCore")
        if qtcore is None:
            return None
        bindings = getattr(sys.modules.get("PySide6"), "__version__", "")
        return f"{qtcore.qVersion()} (PySide6 {bindings})" if bindings else qtcore.qVersion()
    module = sys.modules.get(component.module)
    version = getattr(module, "__version__", None)
    return str(version) if version else None


def component_versions() -> dict[str, str]:
    """``{display name: version}`` for Python and every library in ``COMPONENTS``."""
    versions = {"Python": platform.python_version()}
    for component in COMPONENTS:
        loaded = _loaded_version(component)
        versions[component.name] = loaded or _distribution_version(component.distributions) or NOT_INSTALLED
    return versions


def torch_build(torch_version: str, *, requirements: Sequence[str] = ()) -> str:
    """``CPU`` or ``CUDA x.y`` from a torch version such as ``2.13.0+cu126`` and its requirements.

    PyPI's plain Linux wheels (no ``+`` suffix) are CUDA builds that pull ``nvidia-*`` packages.
    """
    local = torch_version.partition("+")[2]
    if local.startswith("cu") and local[2:].isdigit():
        digits = local[2:]
        return f"CUDA {digits[:-1]}.{digits[-1]}"
    if local.startswith("rocm"):
        return f"ROCm {local[4:]}"
    if local == "" and any(req.lower().startswith("nvidia-") for req in requirements):
        return "CUDA"
    return "CPU" if local in ("", "cpu") else local


def installed_torch_build() -> str:
    """The build of the installed torch: ``CPU``, ``CUDA 12.6``, ... (``not installed`` without torch)."""
    loaded = sys.modules.get("torch")
    cuda = getattr(getattr(loaded, "version", None), "cuda", None)
    if cuda:
        return f"CUDA {cuda}"
    try:
        version = importlib.metadata.version("torch")
        requirements = importlib.metadata.requires("torch") or []
    except importlib.metadata.PackageNotFoundError:
        return "CPU" if loaded is not None else NOT_INSTALLED
    return torch_build(version, requirements=requirements)


def is_frozen() -> bool:
    """True inside the packaged (PyInstaller) app."""
    return bool(getattr(sys, "frozen", False))


def version_text() -> str:
    """The ``--version`` text: app version, caveat, library versions, licences (plain text)."""
    versions = component_versions()
    if versions["PyTorch"] != NOT_INSTALLED:
        versions["PyTorch"] += f" ({installed_torch_build()} build)"
    kind = "packaged app" if is_frozen() else "source checkout"
    system = f"{platform.system()} {platform.machine()}"
    lines = [f"prima-viewer {__version__} ({kind}, {system})", RESEARCH_CAVEAT, ""]
    lines += [f"  {name:<14} {version}" for name, version in versions.items()]
    lines.append("")
    lines.append("Licences (full texts in the files named):")
    for notice in LICENCE_NOTICES:
        lines += [f"  {notice.title}: {notice.licence}; covers {notice.covers}", f"    {notice.path}"]
    return "\n".join(lines)
