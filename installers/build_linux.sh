#!/usr/bin/env bash
# Build the Linux reading-room artefact and prove it works as installed:
#   1. PyInstaller onedir bundle from .venv (installers/prima_viewer.spec)
#   2. dist/prima-viewer-<version>-linux-<arch>.tar.gz = app/ + install.sh + uninstall.sh + README.txt
#   3. installers/linux/smoke_test.py: unpack, install into a scratch prefix, run the installed app
#      headless (Xvfb) on the demo study without network, check screenshot/--version/no writes into
#      the prefix, uninstall, check nothing is left behind. Screenshots and logs: build/smoke/.
#
# Usage: installers/build_linux.sh [--skip-build]   (--skip-build reuses build/pyinstaller/dist)
# Needs: .venv (./run or scripts/setup_env.sh makes it), Xvfb and xwininfo (scripts/setup_system.sh),
# optional unshare and strace for the network checks.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
py=.venv/bin/python
skip_build=0
[ "${1:-}" = --skip-build ] && skip_build=1

die() { echo "build_linux.sh: $*" >&2; exit 1; }
[ -x "$py" ] || die ".venv is missing: run scripts/setup_env.sh first"
command -v Xvfb >/dev/null || die "Xvfb is missing: run scripts/setup_system.sh first"
if ! "$py" -m PyInstaller --version >/dev/null 2>&1; then
    echo "[build] installing PyInstaller into .venv"
    "$py" -m pip install -q "pyinstaller>=6.10"
fi

version="$("$py" -c 'import prima_core; print(prima_core.__version__)')"
torch_build="$("$py" -c 'from prima_core.version_info import installed_torch_build as b; print(b())')"
variant=""  # the CPU build has no suffix; a CUDA build is named after its CUDA version
case "$torch_build" in CPU) ;; *) variant="-$(echo "$torch_build" | tr -d ' ' | tr '[:upper:]' '[:lower:]')" ;; esac
name="prima-viewer-$version-linux-$(uname -m)$variant"
bundle=build/pyinstaller/dist/prima-viewer

start=$(date +%s)
if [ "$skip_build" -eq 0 ]; then
    echo "[build] PyInstaller ($("$py" -m PyInstaller --version)), onedir"
    "$py" -m PyInstaller --noconfirm --log-level WARN --distpath build/pyinstaller/dist \
        --workpath build/pyinstaller/work installers/prima_viewer.spec
fi
[ -x "$bundle/prima-viewer" ] || die "no bundle at $bundle"
build_s=$(( $(date +%s) - start ))

echo "[build] packing dist/$name.tar.gz"
start=$(date +%s)
stage="build/linux/$name"
rm -rf build/linux
mkdir -p "$stage" dist
cp -al "$bundle" "$stage/app" 2>/dev/null || cp -a "$bundle" "$stage/app"
cp installers/linux/install.sh installers/linux/uninstall.sh installers/linux/README.txt "$stage/"
echo "$version" >"$stage/VERSION"
if command -v pigz >/dev/null; then compress=(-I pigz); else compress=(-z); fi
tar -C build/linux "${compress[@]}" -cf "dist/$name.tar.gz" "$name"
rm -rf build/linux
pack_s=$(( $(date +%s) - start ))

echo "[build] smoke test of the installed app"
start=$(date +%s)
"$py" installers/linux/smoke_test.py --tarball "dist/$name.tar.gz" --work build/smoke --version "$version" \
    | tee build/smoke.log
smoke_s=$(( $(date +%s) - start ))
rm -rf build/smoke/unpack

echo
echo "[build] artefact        dist/$name.tar.gz ($(du -h "dist/$name.tar.gz" | cut -f1))"
echo "[build] bundle folder   $(du -sh "$bundle" | cut -f1) ($(find "$bundle" -type f | wc -l) files)"
echo "[build] times           PyInstaller ${build_s}s, tarball ${pack_s}s, smoke test ${smoke_s}s"
echo "[build] smoke results   build/smoke.log, screenshots in build/smoke/shots/"
