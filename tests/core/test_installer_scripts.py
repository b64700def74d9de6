"""install.sh / uninstall.sh round trips on a fake, tiny application folder (no PyInstaller build).

The fake app is a shell script with the same layout as the real bundle (``app/prima-viewer`` and
``app/_internal/resources/icons``), unpacked like the tarball, installed into a temporary prefix with
HOME and the XDG folders pointed into the test's temporary directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "installers" / "linux"
ICONS = ROOT / "resources" / "icons"

pytestmark = pytest.mark.skipif(os.name != "posix" or not shutil.which("bash"), reason="needs bash")


@pytest.fixture
def tarball(tmp_path) -> Path:
    """An unpacked fake release: install.sh, uninstall.sh, VERSION and app/."""
    root = tmp_path / "prima-viewer-0.0.0-linux-x86_64"
    icons = root / "app" / "_internal" / "resources" / "icons"
    icons.mkdir(parents=True)
    for name in ("prima-viewer.svg", "prima-viewer-256.png"):
        shutil.copy(ICONS / name, icons / name)
    app = root / "app" / "prima-viewer"
    app.write_text('#!/bin/sh\necho "fake prima-viewer $*"\n')
    app.chmod(0o755)
    (root / "app" / "_internal" / "lib with space.so").write_bytes(b"\0" * 10)
    for script in ("install.sh", "uninstall.sh"):
        shutil.copy(LINUX / script, root / script)
    (root / "VERSION").write_text("0.0.0\n")
    return root


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "PRIMA_VIEWER_"))}
    return {**clean, "HOME": str(home)}


def run(cmd: list[str], env: dict[str, str], *, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    if check and done.returncode != 0:
        raise AssertionError(f"{cmd} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def all_paths(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def make_user_data(home: Path) -> list[Path]:
    """What a reader's sessions leave in the per-user folders (Linux defaults of prima_core.paths)."""
    files = [
        home / ".local/share/prima-viewer/models/official/manifest.json",
        home / ".cache/prima-viewer/demo/study.dcm",
        home / ".config/prima-viewer/settings.ini",
        home / ".local/state/prima-viewer/log/viewer.log",
    ]
    for file in files:
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text("user data")
    return files


def test_user_install_then_uninstall_removes_exactly_what_it_wrote(tarball, env, tmp_path):
    home = Path(env["HOME"])
    before = all_paths(home)
    prefix = tmp_path / "opt" / "pv"
    run([str(tarball / "install.sh"), "--prefix", str(prefix)], env)

    launcher = prefix / "bin" / "prima-viewer"
    desktop = home / ".local/share/applications/prima-viewer.desktop"
    link = home / ".local/bin/prima-viewer"
    svg = home / ".local/share/icons/hicolor/scalable/apps/prima-viewer.svg"
    png = home / ".local/share/icons/hicolor/256x256/apps/prima-viewer.png"
    library = prefix / "app/_internal/lib with space.so"
    for path in (launcher, desktop, svg, png, prefix / "uninstall.sh", library):
        assert path.is_file(), path
    assert link.is_symlink() and link.resolve() == launcher.resolve()
    assert run([str(link), "--demo"], env).stdout.strip() == "fake prima-viewer --demo"
    entry = desktop.read_text()
    assert f'Exec="{launcher}" %f' in entry
    assert "Categories=Graphics;MedicalSoftware;Science;" in entry
    assert "Icon=prima-viewer" in entry and "not for clinical decisions" in entry
    assert png.read_bytes() == (ICONS / "prima-viewer-256.png").read_bytes()

    user_files = make_user_data(home)
    done = run([str(prefix / "uninstall.sh")], env)
    assert "kept" in done.stdout
    assert not prefix.exists() and not (tmp_path / "opt").exists()  # install.sh created both
    assert all(f.read_text() == "user data" for f in user_files)
    left = all_paths(home) - before
    user_dirs = {str(p.relative_to(home)) for f in user_files for p in [f, *f.parents] if home in p.parents}
    assert left == user_dirs  # nothing of the installation remains, only the user's data


def test_purge_also_deletes_user_data(tarball, env, tmp_path):
    home = Path(env["HOME"])
    prefix = tmp_path / "pv"
    run([str(tarball / "install.sh"), "--prefix", str(prefix), "--quiet"], env)
    user_files = make_user_data(home)
    other = home / ".local/share/other-app/keep.txt"
    other.parent.mkdir(parents=True)
    other.write_text("not ours")
    run([str(prefix / "uninstall.sh"), "--purge"], env)
    assert not any(f.exists() for f in user_files)
    assert not (home / ".local/state/prima-viewer").exists()
    assert other.read_text() == "not ours"
    assert not prefix.exists()


def test_purge_follows_xdg_and_override_folders(tarball, env, tmp_path):
    env = {**env, "XDG_DATA_HOME": str(tmp_path / "xdg-data"), "PRIMA_VIEWER_CACHE_DIR": str(tmp_path / "c")}
    prefix = tmp_path / "pv"
    run([str(tarball / "install.sh"), "--prefix", str(prefix)], env)
    assert (tmp_path / "xdg-data/applications/prima-viewer.desktop").is_file()
    data = tmp_path / "xdg-data/prima-viewer/models/x.bin"
    cache = tmp_path / "c/tokens.npy"
    for file in (data, cache):
        file.parent.mkdir(parents=True)
        file.write_text("x")
    run([str(prefix / "uninstall.sh"), "--purge"], env)
    assert not data.exists() and not cache.exists()
    assert not (tmp_path / "xdg-data/applications/prima-viewer.desktop").exists()


def test_reinstall_upgrades_in_place_and_keeps_user_data(tarball, env, tmp_path):
    home = Path(env["HOME"])
    run([str(tarball / "install.sh")], env)  # default user prefix
    prefix = home / ".local/opt/prima-viewer"
    assert (prefix / "app/prima-viewer").is_file()
    user_files = make_user_data(home)
    (tarball / "app/prima-viewer").write_text('#!/bin/sh\necho "new version"\n')
    (tarball / "app/_internal/lib with space.so").unlink()
    done = run([str(tarball / "install.sh")], env)
    assert "Upgrading" in done.stdout
    assert run([str(home / ".local/bin/prima-viewer")], env).stdout.strip() == "new version"
    assert not (prefix / "app/_internal/lib with space.so").exists()
    assert all(f.read_text() == "user data" for f in user_files)
    manifest = (prefix / "install-manifest.txt").read_text()
    assert manifest.count(f"f {home}/.local/bin/prima-viewer\n") == 1


def test_uninstall_keeps_files_it_did_not_install(tarball, env, tmp_path):
    prefix = tmp_path / "pv"
    run([str(tarball / "install.sh"), "--prefix", str(prefix)], env)
    stranger = prefix / "app" / "_internal" / "notes.txt"
    stranger.write_text("someone else's")
    done = run([str(prefix / "uninstall.sh")], env)
    assert stranger.read_text() == "someone else's"
    assert f"Kept {prefix}:" in done.stderr  # only the outermost kept folder is named
    assert all_paths(prefix) == {"app", "app/_internal", "app/_internal/notes.txt"}


def test_install_refuses_a_folder_that_is_not_an_installation(tarball, env, tmp_path):
    prefix = tmp_path / "busy"
    prefix.mkdir()
    (prefix / "data.txt").write_text("precious")
    done = run([str(tarball / "install.sh"), "--prefix", str(prefix)], env, check=False)
    assert done.returncode == 1
    assert "not a Prima Viewer installation" in done.stderr
    assert all_paths(prefix) == {"data.txt"}


def test_existing_command_on_path_is_left_alone(tarball, env, tmp_path):
    home = Path(env["HOME"])
    other = home / ".local/bin/prima-viewer"
    other.parent.mkdir(parents=True)
    other.write_text("#!/bin/sh\necho other\n")
    prefix = tmp_path / "pv"
    done = run([str(tarball / "install.sh"), "--prefix", str(prefix)], env)
    assert "already exists" in done.stdout
    run([str(prefix / "uninstall.sh")], env)
    assert other.read_text() == "#!/bin/sh\necho other\n"


def test_install_started_with_sh_reexecutes_under_bash(tarball, env, tmp_path):
    sh = shutil.which("dash") or shutil.which("sh")
    prefix = tmp_path / "pv"
    run([sh, str(tarball / "install.sh"), "--prefix", str(prefix), "--quiet"], env)
    assert (prefix / "bin" / "prima-viewer").is_file()
    run([sh, str(prefix / "uninstall.sh"), "--quiet"], env)
    assert not prefix.exists()


def test_bad_arguments_and_incomplete_tarball(tarball, env):
    done = run([str(tarball / "install.sh"), "--frobnicate"], env, check=False)
    assert done.returncode == 1 and "unknown option" in done.stderr
    assert "--system" in run([str(tarball / "install.sh"), "--help"], env).stdout
    shutil.rmtree(tarball / "app")
    done = run([str(tarball / "install.sh")], env, check=False)
    assert done.returncode == 1 and "unpack the whole tarball" in done.stderr
