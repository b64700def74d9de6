#!/usr/bin/env bash
# Install Prima Viewer from this unpacked tarball. No Python, no network, no root needed for a user install.
#
#   ./install.sh                 for the current user: ~/.local/opt/prima-viewer, menu entry in ~/.local/share
#   sudo ./install.sh --system   for every user: /opt/prima-viewer, menu entry in /usr/local/share
#   ./install.sh --prefix DIR    the application in DIR (menu entry and PATH link as for the mode)
#
# Every file and folder written is recorded in PREFIX/install-manifest.txt; PREFIX/uninstall.sh removes
# exactly those. Installing over an earlier Prima Viewer installation upgrades it; user data (imported
# models, caches, settings, logs) lives in per-user folders and is never touched by installing.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"  # also when started as "sh install.sh"
set -euo pipefail

APP=prima-viewer
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
payload="$here/app"

die() { echo "install.sh: $*" >&2; exit 1; }
usage() { sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

mode=user
prefix=""
quiet=0
while [ $# -gt 0 ]; do
    case "$1" in
        --user) mode=user ;;
        --system) mode=system ;;
        --prefix) [ $# -ge 2 ] || die "--prefix needs a folder"; prefix="$2"; shift ;;
        --prefix=*) prefix="${1#--prefix=}" ;;
        --quiet) quiet=1 ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option: $1 (see --help)" ;;
    esac
    shift
done
say() { [ "$quiet" -eq 1 ] || echo "$@"; }

[ -x "$payload/$APP" ] || die "the application folder $payload is missing: unpack the whole tarball first"
if [ "$mode" = system ]; then
    prefix="${prefix:-/opt/$APP}"
    bin_dir=/usr/local/bin
    share_dir=/usr/local/share
else
    [ -n "${HOME:-}" ] || die "HOME is not set"
    prefix="${prefix:-$HOME/.local/opt/$APP}"
    bin_dir="$HOME/.local/bin"
    share_dir="${XDG_DATA_HOME:-$HOME/.local/share}"
fi
case "$prefix" in /*) ;; *) prefix="$PWD/$prefix" ;; esac
prefix="${prefix%/}"
[ -n "$prefix" ] && [ "$prefix" != "$HOME" ] || die "refusing to install into '$prefix'"

# An earlier installation in the same place: remove it first (its uninstaller keeps user data).
if [ -f "$prefix/install-manifest.txt" ] && [ -x "$prefix/uninstall.sh" ]; then
    say "Upgrading the Prima Viewer installed in $prefix"
    "$prefix/uninstall.sh" --quiet
elif [ -e "$prefix" ] && [ -n "$(ls -A "$prefix" 2>/dev/null)" ]; then
    die "$prefix exists and is not a Prima Viewer installation: choose an empty or new folder"
fi

records=()
record() { records+=("$1 $2"); }

# mkdir -p that records each folder it creates, outermost first, so the uninstaller can remove them.
make_dir() {
    local dir="$1" missing=()
    while [ ! -d "$dir" ]; do missing=("$dir" "${missing[@]}"); dir="$(dirname "$dir")"; done
    for dir in "${missing[@]}"; do
        mkdir "$dir" 2>/dev/null || die "cannot create $dir (for a system install run with sudo --system)"
        record d "$dir"
    done
}

install_file() {  # SOURCE DEST [MODE]
    make_dir "$(dirname "$2")"
    install -m "${3:-644}" "$1" "$2"
    record f "$2"
}

make_dir "$prefix"
say "Copying the application into $prefix/app"
cp -R "$payload" "$prefix/app"
while IFS= read -r -d '' path; do
    if [ -d "$path" ] && [ ! -L "$path" ]; then record d "$path"; else record f "$path"; fi
done < <(find "$prefix/app" -print0)

launcher="$prefix/bin/$APP"
make_dir "$prefix/bin"
printf '#!/bin/sh\n# Prima Viewer launcher, written by install.sh\nexec "%s" "$@"\n' "$prefix/app/$APP" >"$launcher"
chmod 755 "$launcher"
record f "$launcher"
install_file "$here/uninstall.sh" "$prefix/uninstall.sh" 755

resources="$prefix/app/_internal/resources"
icon_svg="$share_dir/icons/hicolor/scalable/apps/$APP.svg"
icon_png="$share_dir/icons/hicolor/256x256/apps/$APP.png"
install_file "$resources/icons/$APP.svg" "$icon_svg"
install_file "$resources/icons/$APP-256.png" "$icon_png"

desktop="$share_dir/applications/$APP.desktop"
make_dir "$(dirname "$desktop")"
cat >"$desktop" <<EOF
[Desktop Entry]
Type=Application
Version=1.0
Name=Prima Viewer
GenericName=Brain MRI viewer
Comment=Read brain MRI with the Prima foundation model beside you. Research use, not for clinical decisions.
Exec="$launcher" %f
TryExec=$launcher
Icon=$APP
Terminal=false
Categories=Graphics;MedicalSoftware;Science;
Keywords=MRI;DICOM;NIfTI;brain;radiology;
StartupWMClass=$APP
EOF
chmod 644 "$desktop"
record f "$desktop"

# A command on the PATH, unless something else already owns that name.
link="$bin_dir/$APP"
if [ -e "$link" ] || [ -L "$link" ]; then
    say "Note: $link already exists and was left alone; start the viewer with $launcher"
else
    make_dir "$bin_dir"
    ln -s "$launcher" "$link"
    record f "$link"
fi

manifest="$prefix/install-manifest.txt"
record f "$manifest"
{
    echo "# Prima Viewer install manifest: f = file or link, d = folder created by install.sh"
    printf '%s\n' "${records[@]}"
} >"$manifest"

say "Installed Prima Viewer $(cat "$here/VERSION" 2>/dev/null || true) into $prefix"
say "  start it from the applications menu, or run: $launcher --demo"
say "  uninstall: $prefix/uninstall.sh   (add --purge to delete your imported models, caches and settings too)"
