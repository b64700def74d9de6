#!/usr/bin/env bash
# Remove the Prima Viewer installation this script belongs to: exactly the files and folders listed in
# install-manifest.txt next to it (the application, launcher, PATH link, menu entry, icons).
#
#   uninstall.sh           keep your user data (imported models, caches, settings, logs)
#   uninstall.sh --purge   also delete the user data of the user who runs this
#
# Folders that hold files Prima Viewer did not install are left in place, with a note.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"  # also when started as "sh uninstall.sh"
set -euo pipefail

APP=prima-viewer
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
manifest="$here/install-manifest.txt"

die() { echo "uninstall.sh: $*" >&2; exit 1; }

purge=0
quiet=0
while [ $# -gt 0 ]; do
    case "$1" in
        --purge) purge=1 ;;
        --quiet) quiet=1 ;;
        -h|--help) sed -n '2,8s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) die "unknown option: $1 (see --help)" ;;
    esac
    shift
done
say() { [ "$quiet" -eq 1 ] || echo "$@"; }

[ -f "$manifest" ] || die "no install manifest in $here: this is not an installed Prima Viewer"
mapfile -t entries < <(grep -E '^[fd] /' "$manifest")

# Files and links first (rm takes them in batches), then folders deepest first, only when empty.
for entry in "${entries[@]}"; do
    if [ "${entry%% *}" = f ]; then printf '%s\0' "${entry#f }"; fi
done | xargs -0 -r rm -f --
kept=()
for ((i = ${#entries[@]} - 1; i >= 0; i--)); do
    entry="${entries[i]}"
    [ "${entry%% *}" = d ] || continue
    dir="${entry#d }"
    [ -d "$dir" ] || continue
    rmdir "$dir" 2>/dev/null || kept+=("$dir")
done
for dir in "${kept[@]}"; do
    # Only report the outermost kept folders: the inner ones are implied.
    outer=1
    for other in "${kept[@]}"; do
        case "$dir" in "$other"/*) outer=0 ;; esac
    done
    [ "$outer" -eq 0 ] || echo "Kept $dir: it holds files that Prima Viewer did not install" >&2
done
say "Prima Viewer removed from $here"

purge_dir() {
    local dir="$1"
    case "$dir" in "" | / | "$HOME" | "$HOME/") die "refusing to delete '$dir'" ;; esac
    if [ -e "$dir" ]; then
        rm -rf -- "$dir"
        say "Deleted $dir"
    fi
}

if [ "$purge" -eq 1 ]; then
    [ -n "${HOME:-}" ] || die "HOME is not set: cannot find the user data to purge"
    state_dir="${XDG_STATE_HOME:-$HOME/.local/state}/$APP"
    purge_dir "${PRIMA_VIEWER_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/$APP}"
    purge_dir "${PRIMA_VIEWER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/$APP}"
    purge_dir "${PRIMA_VIEWER_CONFIG_DIR:-${XDG_CONFIG_HOME:-$HOME/.config}/$APP}"
    purge_dir "${PRIMA_VIEWER_LOG_DIR:-$state_dir/log}"
    rmdir "$state_dir" 2>/dev/null || true
else
    say "Your imported models, caches and settings were kept (uninstall.sh --purge deletes them)."
fi
