"""Find the core's demo-study maker, when this build has one."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path


def demo_maker() -> Callable[..., Path] | None:
    """``prima_core.demo.ensure_demo_study`` (``progress``/``cancel`` keywords), or ``None``."""
    try:
        module = importlib.import_module("prima_core.demo")
    except ImportError:
        return None
    return getattr(module, "ensure_demo_study", None)
