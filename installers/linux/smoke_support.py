"""The harness of ``smoke_test.py``: clean user folders, Xvfb, timed runs, screenshot and socket checks."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from PIL import Image, ImageStat

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


def inet_sockets(trace: Path) -> list[str]:
    """``socket(AF_INET...)`` / ``socket(AF_INET6...)`` calls in an strace log."""
    lines = trace.read_text(errors="replace").splitlines()
    return [line for line in lines if re.search(r"socket\(AF_INET6?,", line)]
