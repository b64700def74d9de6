"""Per-user folders: imported model bundles, caches, settings and logs.

They live in the operating system's per-user directories (via platformdirs), outside any
installation folder, so they survive upgrades and reinstalls. Each can be redirected with an
environment variable (tests, portable installs, locked-down reading rooms).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "prima-viewer"


def _dir(env: str, default: str) -> Path:
    path = Path(os.environ.get(env) or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """Imported model bundles and other user data (``PRIMA_VIEWER_DATA_DIR`` overrides)."""
    return _dir("PRIMA_VIEWER_DATA_DIR", platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """Token caches, results caches and the generated demo study (``PRIMA_VIEWER_CACHE_DIR``)."""
    return _dir("PRIMA_VIEWER_CACHE_DIR", platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """Settings (``PRIMA_VIEWER_CONFIG_DIR`` overrides)."""
    return _dir("PRIMA_VIEWER_CONFIG_DIR", platformdirs.user_config_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    """Log files (``PRIMA_VIEWER_LOG_DIR`` overrides)."""
    return _dir("PRIMA_VIEWER_LOG_DIR", platformdirs.user_log_dir(APP_NAME, appauthor=False))


def models_dir() -> Path:
    """Where converted (imported) model bundles are kept, one folder each."""
    path = data_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path
