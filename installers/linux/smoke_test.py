"""Install the Linux tarball into a scratch prefix, run the INSTALLED app headless, uninstall, check.

Run by ``installers/build_linux.sh`` with the build environment's Python (it needs Pillow, nothing
of the app). Every step that fails stops the run with a one-line reason and exit code 1.

Checks: ``install.sh --prefix`` creates the launcher, PATH link, menu entry and icons; ``--version``
names the libraries and licences; ``--demo --analyze --screenshot`` exits 0 and writes a real,
non-uniform image, without network (run in a fresh network namespace with ``unshare -n``) and without
creating any AF_INET/AF_INET6 socket (``strace``); nothing is written inside the prefix at run time;
``uninstall.sh`` leaves nothing behind but the user's data. Prints timings and sizes.
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

from PIL import Image, ImageStat

APP = "prima-viewer"
RUN_TIMEOUT_S = 900
TITLE = re.compile(r'^\s*(0x[0-9a-f]+) ".*Prima Viewer": \(("[^"]*") ("[^"]*")\)', re.M)


class SmokeFailure(RuntimeError):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


def report(key: str, value: object) -> None:
    print(f"SMOKE {key}: {value}", flush=True)


def user_env(work: Path) -> dict[str, str]:
    """A clean per-user environment inside ``work``: HOME and every XDG folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "PRIMA_VIEWER_"))}
    env["HOME"] = str(work / "home")
    for name in ("DATA", "CONFIG", "CACHE", "STATE"):
        env[f"XDG_{name}_HOME"] = str(work / "xdg" / name.lower())
    env["XDG_RUNTIME_DIR"] = str(work / "xdg" / "runtime")
    for key in ("HOME", "XDG_RUNTIME_DIR"):
        Path(env[key]).mkdir(parents=True, exist_ok=True, mode=0o700)
    return env


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``root`` with its size and modification time (to spot run-time writes)."""
    result = {}
    for path in [root, *root.rglob("*")]:
        st = path.lstat()
        result[str(path.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return result


def du_mib(root: Path) -> float:
    total = sum(p.lstat().st_size for p in root.rglob("*") if not p.is_dir() or p.is_symlink())
    return total / 2**20


def isolation_prefix() -> list[str]:
    """``unshare -n`` (a network namespace with no interfaces up) when this user may use it."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n", "--"]
    if unshare and subprocess.run([unshare, "-rn", "true"], capture_output=True).returncode == 0:
        return [unshare, "-rn", "--"]
    return []


def start_xvfb(work: Path) -> tuple[subprocess.Popen, str]:
    read_fd, write_fd = os.pipe()
    log = (work / "xvfb.log").open("w")
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=log,
        stderr=log,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    check(number.isdigit(), "Xvfb did not start (see xvfb.log)")
    return server, f":{number}"


def find_window(display: str) -> re.Match | None:
    tree = subprocess.run(
        ["xwininfo", "-display", display, "-root", "-tree"], capture_output=True, text=True
    ).stdout
    return TITLE.search(tree)


def run_viewer(
    command: list[str], env: dict[str, str], screenshot: Path, log: Path, *, display: str
) -> dict[str, float | str]:
    """Launch, then time the window's appearance, the screenshot file and the exit."""
    timings: dict[str, float | str] = {}
    start = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        while process.poll() is None:
            elapsed = time.perf_counter() - start
            check(elapsed < RUN_TIMEOUT_S, f"the viewer ran longer than {RUN_TIMEOUT_S} s (log: {log})")
            if "window_s" not in timings and shutil.which("xwininfo"):
                window = find_window(display)
                if window:
                    timings["window_s"] = elapsed
                    timings["wm_class"] = f"{window.group(2)} {window.group(3)}"
            if "screenshot_s" not in timings and screenshot.exists() and screenshot.stat().st_size > 0:
                timings["screenshot_s"] = elapsed
            time.sleep(0.05)
    timings["exit_s"] = time.perf_counter() - start
    check(process.returncode == 0, f"the viewer exited with {process.returncode}: {log.read_text()[-1500:]}")
    timings.setdefault("screenshot_s", timings["exit_s"])
    return timings


def check_screenshot(path: Path) -> str:
    check(path.is_file(), f"no screenshot at {path}")
    with Image.open(path) as image:
        width, height = image.size
        grey = image.convert("L")
        stat = ImageStat.Stat(grey)
        bright = sum(grey.histogram()[40:]) / (width * height)
        colours = len(image.convert("RGB").getcolors(maxcolors=1 << 20) or [])
    check(width >= 800 and height >= 500, f"screenshot too small: {width}x{height}")
    check(stat.stddev[0] > 10, f"screenshot is uniform (grey std {stat.stddev[0]:.1f})")
    check(bright > 0.03, f"screenshot is nearly black ({bright:.1%} of pixels above 40)")
    check(colours > 256, f"screenshot has only {colours} colours")
    spread = f"grey mean {stat.mean[0]:.1f} std {stat.stddev[0]:.1f}"
    return f"{width}x{height}, {spread}, {bright:.0%} of pixels above 40, {colours} colours"


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


def inet_sockets(trace: Path) -> list[str]:
    """``socket(AF_INET...)`` / ``socket(AF_INET6...)`` calls in an strace log."""
    lines = trace.read_text(errors="replace").splitlines()
    return [line for line in lines if re.search(r"socket\(AF_INET6?,", line)]


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
        env_x = {**env, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
        shots = work / "shots"
        shots.mkdir()
        for label in ("cold", "warm"):
            shot = shots / f"{label}.png"
            cmd = [*isolate, str(launcher), "--demo", "--analyze", "--screenshot", str(shot)]
            timings = run_viewer(cmd, env_x, shot, work / f"viewer-{label}.log", display=display)
            report(
                f"{label}_start",
                ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in timings.items()),
            )
            report(f"{label}_screenshot", check_screenshot(shot))
        for label, folder in make_compressed_studies(work).items():
            shot = shots / f"{label}.png"
            cmd = [*isolate, str(launcher), str(folder), "--layout", "1x1", "--screenshot", str(shot)]
            timings = run_viewer(cmd, env_x, shot, work / f"viewer-{label}.log", display=display)
            check_screenshot(shot)
            report(f"{label}_study", f"opened and shown in {timings['exit_s']:.1f} s")
        if shutil.which("strace"):
            trace = work / "strace.txt"
            shot = shots / "strace.png"
            cmd = [
                *isolate,
                "strace",
                "-f",
                "-qq",
                "-e",
                "trace=socket,connect,bind,sendto,sendmsg",
                "-o",
                str(trace),
            ]
            cmd += [str(launcher), "--demo", "--screenshot", str(shot)]
            run_viewer(cmd, env_x, shot, work / "viewer-strace.log", display=display)
            offenders = inet_sockets(trace)
            check(not offenders, f"the app opened network sockets: {offenders[:3]}")
            families = sorted(set(re.findall(r"socket\((AF_\w+)", trace.read_text(errors="replace"))))
            report("socket_families", ", ".join(families) or "none")
        else:
            report("socket_families", "strace not available: checked with unshare -n only")
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
