#!/usr/bin/env bash
# Build "Prima Viewer.app" (PyInstaller BUNDLE step of installers/prima_viewer.spec) and wrap it in a
# compressed disk image: dist/prima-viewer-<version>-macos-<arch>.dmg. Run on macOS 12+ from the
# repository root with .venv set up (scripts/setup_env.sh); build on each architecture you ship
# (arm64 on Apple silicon, x86_64 on Intel): torch and VTK wheels are per architecture.
#
# Optional signing and notarisation (needed so Gatekeeper opens it without a warning):
#   PRIMA_CODESIGN_ID="Developer ID Application: ..." PRIMA_NOTARY_PROFILE=<notarytool keychain profile>
set -euo pipefail
die() { echo "build_dmg.sh: $*" >&2; exit 1; }
[ "$(uname)" = Darwin ] || die "run this on macOS (hdiutil and codesign are macOS tools)"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
py=.venv/bin/python
[ -x "$py" ] || die ".venv is missing: run scripts/setup_env.sh first"
"$py" -m PyInstaller --version >/dev/null 2>&1 || "$py" -m pip install -q "pyinstaller>=6.10"

version="$("$py" -c 'import prima_core; print(prima_core.__version__)')"
arch="$(uname -m)"
app="build/pyinstaller/dist/Prima Viewer.app"
dmg="dist/prima-viewer-$version-macos-$arch.dmg"

"$py" -m PyInstaller --noconfirm --log-level WARN --distpath build/pyinstaller/dist \
    --workpath build/pyinstaller/work installers/prima_viewer.spec
[ -d "$app" ] || die "PyInstaller did not produce $app"
"$app/Contents/MacOS/prima-viewer" --version  # the bundle starts and finds its libraries

if [ -n "${PRIMA_CODESIGN_ID:-}" ]; then
    codesign --force --deep --options runtime --timestamp --sign "$PRIMA_CODESIGN_ID" "$app"
    codesign --verify --deep --strict "$app"
fi

stage=build/dmg
rm -rf "$stage"
mkdir -p "$stage" dist
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"
cp resources/licenses/PRIMA_VIEWER_LICENSE.txt "$stage/LICENSE.txt"
rm -f "$dmg"
hdiutil create -volname "Prima Viewer $version" -srcfolder "$stage" -fs HFS+ -format UDZO -ov "$dmg"
rm -rf "$stage"

if [ -n "${PRIMA_CODESIGN_ID:-}" ] && [ -n "${PRIMA_NOTARY_PROFILE:-}" ]; then
    codesign --sign "$PRIMA_CODESIGN_ID" --timestamp "$dmg"
    xcrun notarytool submit "$dmg" --keychain-profile "$PRIMA_NOTARY_PROFILE" --wait
    xcrun stapler staple "$dmg"
fi
echo "built $dmg ($(du -h "$dmg" | cut -f1))"
