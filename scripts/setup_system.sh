#!/usr/bin/env bash
# System libraries that Qt and VTK need to render headless under Xvfb (Debian/Ubuntu).
set -euo pipefail
pkgs=(xvfb xauth libgl1 libegl1 libglx-mesa0 libgl1-mesa-dri libglu1-mesa libxrender1 libxkbcommon0
      libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
      libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xfixes0 libxcb-xkb1 libdbus-1-3
      libfontconfig1 libfreetype6 libxi6 libxt6 libsm6 libice6 libxext6 fonts-dejavu-core)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    echo "[setup] installing system packages: ${missing[*]}" >&2
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
