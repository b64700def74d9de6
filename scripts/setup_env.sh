#!/usr/bin/env bash
# Creates .venv/ at the repository root (once) and installs the project into it.
# Re-running is cheap: it only reinstalls when pyproject.toml changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "[setup] creating .venv with $($py --version)" >&2
    "$py" -m venv .venv
fi
stamp=.venv/.prima-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "[setup] installing dependencies into .venv (torch==2.13.0 CPU build)" >&2
    .venv/bin/python -m pip install -q --upgrade pip
    # torch first and pinned, so that no other package pulls a multi-GB CUDA build.
    .venv/bin/python -m pip install -q "torch==2.13.0"
    .venv/bin/python -m pip install -q -e ".[dev]"
    touch "$stamp"
fi
