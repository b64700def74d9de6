"""Install the Linux tarball into a scratch prefix, run the INSTALLED app headless, uninstall, check.

Run by ``installers/build_linux.sh`` with the build environment's Python (it needs Pillow, nothing
of the app). Every step that fails stops the run with a one-line reason and exit code 1.

Checks: ``install.sh --prefix`` creates the launcher, PATH link, menu entry and icons; ``--version``
names the libraries and licences; ``--demo [--analyze] --screenshot`` exits 0 and writes a real,
non-uniform image (cold and warm start); compressed DICOM opens; an analysis with integrated gradients
runs (on the demo model, or on a toy model trained now when the build has none); all of it without
network (a fresh network namespace, ``unshare -n``) and without any AF_INET/AF_INET6 socket
(``strace``); nothing is written inside the prefix at run time; ``uninstall.sh`` leaves nothing
behind but the user's data. Prints timings and sizes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from smoke_support import (
    SmokeFailure,
    check,
    check_screenshot,
    du_mib,
    inet_sockets,
    isolation_prefix,
    report,
    run_viewer,
    snapshot,
    start_xvfb,
    user_env,
)

APP = "prima-viewer"


def make_compressed_studies(work: Path) -> dict[str, Path]:
    """Small head phantoms in compressed transfer syntaxes, written with the project's DICOM factory.

    Opening them in the installed app proves that pydicom finds the pylibjpeg plug-ins (through
    their entry-point metadata) inside the bundle, not only in the build environment.
    """
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    import numpy as np
    from pydicom.uid import JPEG2000Lossless, RLELossless

    from tests.core.dicom_factory import make_series

    def head(points: np.ndarray) -> np.ndarray:
        radii = np.array([54.0, 58.0, 33.0])
        inside = (((points / radii) ** 2).sum(axis=-1)) <= 1.0
        return np.where(inside, 300.0 + 0.5 * points[..., 0] + 2.0 * points[..., 2], 0.0)

    studies = {}
    for label, syntax in (("jpeg2000", JPEG2000Lossless), ("rle", RLELossless)):
        folder = work / "studies" / label
        make_series(folder, shape=(64, 64, 12), spacing=(2.0, 2.0, 5.0), phantom=head, transfer_syntax=syntax)
        studies[label] = folder
    return studies


def tiny_model(work: Path) -> Path:
    """A toy demo-model bundle made now with the real recipe (``prima demo-train --tiny``, ~30 s).

    It lets builds made before the demo model exists still run the whole analysis stack (torch,
    the MONAI tokenizer, Captum) inside the installed app. Its outputs mean nothing.
    """
    out = work / "tiny_model"
    cmd = [sys.executable, "-m", "prima_core", "demo-train", "--tiny", "--n-train", "2", "--n-val", "1"]
    cmd += ["--workers", "1", "--out", str(out), "--work-dir", str(work / "tiny_work")]
    env = {**os.environ, "PRIMA_VIEWER_CACHE_DIR": str(work / "tiny_cache")}
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=900)
    check(done.returncode == 0, f"prima demo-train --tiny failed: {done.stderr[-800:]}")
    return out


def check_version(
    launcher: Path, env: dict[str, str], version: str, prefix: Path, isolate: list[str]
) -> None:
    done = subprocess.run([*isolate, str(launcher), "--version"], env=env, capture_output=True, text=True)
    text = done.stdout
    check(done.returncode == 0, f"--version exited {done.returncode}: {done.stderr[-500:]}")
    check(text.startswith(f"prima-viewer {version} (packaged app"), f"--version first line: {text[:80]!r}")
    check("Research use, not for clinical decisions." in text, "--version lacks the research-use caveat")
    for name in ("Qt (PySide6)", "VTK", "PyTorch", "MONAI", "pydicom"):
        line = next((ln for ln in text.splitlines() if ln.strip().startswith(name)), "")
        check(bool(line) and "not installed" not in line, f"--version: {name} missing ({line!r})")
    for path in re.findall(r"^\s{4}(/\S.*)$", text, re.M):
        check(path.startswith(str(prefix)), f"licence file outside the installation: {path}")
        if not path.endswith("MNI152_NOTICE.txt"):  # the demo assets' notice, owned by the demo maker
            check(Path(path).is_file(), f"licence file missing: {path}")
    report("version", text.splitlines()[0])
    report("versions", "; ".join(ln.strip() for ln in text.splitlines()[3:13]))


def installed_paths(home: Path, xdg_data: Path, prefix: Path) -> list[Path]:
    return [
        prefix / "bin" / APP,
        prefix / "uninstall.sh",
        home / ".local" / "bin" / APP,
        xdg_data / "applications" / f"{APP}.desktop",
        xdg_data / "icons/hicolor/scalable/apps" / f"{APP}.svg",
        xdg_data / "icons/hicolor/256x256/apps" / f"{APP}.png",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True, help="scratch folder (emptied first)")
    parser.add_argument("--version", required=True)
    args = parser.parse_args()
    work = args.work.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        run_all(args.tarball.resolve(), work, args.version)
    except SmokeFailure as failure:
        print(f"SMOKE FAILED: {failure}", file=sys.stderr)
        return 1
    print("SMOKE PASSED")
    return 0


def timed(label: str, cmd: list[str], env: dict[str, str], work: Path, display: str) -> dict:
    """One headless run that must exit 0 with a real screenshot; returns its timings."""
    shot = work / "shots" / f"{label}.png"
    shot.parent.mkdir(exist_ok=True)
    timings = run_viewer(
        [*cmd, "--screenshot", str(shot)], env, shot, work / f"viewer-{label}.log", display=display
    )
    timings["image"] = check_screenshot(shot)
    return timings


def gui_checks(launcher: Path, prefix: Path, env: dict[str, str], isolate: list[str], work: Path) -> None:
    """The installed app on the demo study (cold, warm), compressed DICOM, the analysis, a traced run."""
    display, app = env["DISPLAY"], [*isolate, str(launcher)]
    # --analyze needs the demo model bundle; builds made before it exists show the images only,
    # and the analysis is run below on a toy model trained for the purpose.
    has_model = (prefix / "app" / "_internal" / "resources" / "demo_model" / "manifest.json").is_file()
    report("demo_model", "in the bundle" if has_model else "not in this build: a toy model for --analyze")
    for label in ("cold", "warm"):
        timings = timed(label, [*app, "--demo", *(["--analyze"] if has_model else [])], env, work, display)
        report(
            f"{label}_start",
            ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in timings.items()),
        )
    for label, folder in make_compressed_studies(work).items():
        timings = timed(label, [*app, str(folder), "--layout", "1x1"], env, work, display)
        report(f"{label}_study", f"opened and shown in {timings['exit_s']:.1f} s")
    model = [] if has_model else ["--model", str(tiny_model(work))]
    analysis = [str(launcher), "--demo", *model, "--analyze", "--method", "integrated_gradients"]
    timings = timed("analysis", [*isolate, *analysis], env, work, display)
    report(
        "analysis", f"{'demo' if has_model else 'toy'} model, integrated gradients, {timings['exit_s']:.1f} s"
    )
    if not shutil.which("strace"):
        report("socket_families", "strace not available: checked with unshare -n only")
        return
    trace = work / "strace.txt"  # the same analysis run, every socket call traced
    strace = ["strace", "-f", "-qq", "-e", "trace=socket,connect,bind,sendto,sendmsg", "-o", str(trace)]
    timed("strace", [*isolate, *strace, *analysis], env, work, display)
    offenders = inet_sockets(trace)
    check(not offenders, f"the app opened network sockets: {offenders[:3]}")
    families = sorted(set(re.findall(r"socket\((AF_\w+)", trace.read_text(errors="replace"))))
    report("socket_families", ", ".join(families) or "none")


def run_all(tarball: Path, work: Path, version: str) -> None:
    env = user_env(work)
    home, xdg_data = Path(env["HOME"]), Path(env["XDG_DATA_HOME"])
    with tarfile.open(tarball) as archive:
        archive.extractall(work / "unpack", filter="tar")
    (unpacked,) = (work / "unpack").iterdir()
    prefix = work / "prefix" / APP
    before_install = snapshot(work / "xdg") | {f"home/{k}": v for k, v in snapshot(home).items()}
    start = time.perf_counter()
    subprocess.run([str(unpacked / "install.sh"), "--prefix", str(prefix)], env=env, check=True)
    report("install_s", f"{time.perf_counter() - start:.1f}")
    for path in installed_paths(home, xdg_data, prefix):
        check(path.exists(), f"install.sh did not create {path}")
    report("installed_mib", f"{du_mib(prefix):.0f}")
    launcher = prefix / "bin" / APP
    frozen = snapshot(prefix)

    isolate = isolation_prefix()
    report("network_isolation", " ".join(isolate[:2]) if isolate else "none available")
    check_version(launcher, env, version, prefix, isolate)
    server, display = start_xvfb(work)
    try:
        gui_checks(launcher, prefix, {**env, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}, isolate, work)
    finally:
        server.terminate()
        server.wait(timeout=10)

    changed = sorted(k for k, v in snapshot(prefix).items() if frozen.get(k) != v)
    changed += sorted(set(frozen) - set(snapshot(prefix)))
    check(not changed, f"the app wrote inside the installation: {changed[:5]}")
    report("writes_inside_prefix", "none")
    user_data = sorted(p.relative_to(work) for p in (work / "xdg").glob("*/prima-viewer"))
    report("user_data_dirs", ", ".join(map(str, user_data)) or "none")

    subprocess.run([str(prefix / "uninstall.sh")], env=env, check=True)
    for path in installed_paths(home, xdg_data, prefix):
        check(not path.exists() and not path.is_symlink(), f"uninstall.sh left {path}")
    check(not (work / "prefix").exists(), "uninstall.sh left the prefix folder")
    after = snapshot(work / "xdg") | {f"home/{k}": v for k, v in snapshot(home).items()}
    new = sorted(set(after) - set(before_install))
    user_data_roots = {f"{kind}/{APP}" for kind in ("cache", "data", "config", "state")}
    foreign = [k for k in new if "/".join(Path(k).parts[:2]) not in user_data_roots]
    leftovers = [k for k in foreign if APP in k or "/applications" in k or "/icons" in k or "/bin" in k]
    check(not leftovers, f"uninstall.sh left installation files: {leftovers[:5]}")
    others = sorted({"/".join(Path(k).parts[:2]) for k in foreign if len(Path(k).parts) > 1})
    report(
        "left_after_uninstall",
        f"user data {sorted(user_data_roots & set(new))}; other programs' caches {others}",
    )


if __name__ == "__main__":
    raise SystemExit(main())
