"""Import official Prima files as a named model bundle under ``paths.models_dir()``.

The conversion (``prima_core.model.convert_official``, which never runs code from the
checkpoint) writes into a private folder first and the finished bundle is then moved into
place, so a refused file, an error or a cancel leaves no half-written model behind.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from prima_core.errors import UserError
from prima_core.model_registry import DEMO
from prima_core.progress import CancelToken, ProgressCallback, ProgressEvent, check

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def suggested_name(full_model: Path) -> str:
    """A bundle name from the checkpoint's file name (``primafullmodel107.pt`` -> ``primafullmodel107``)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(full_model).stem).strip("-._")
    return stem[:64] or "prima"


def check_import(*, full_model: Path, tokenizer: Path, name: str) -> Path:
    """Refuse a bad request before any work; returns the bundle folder the import will create."""
    from prima_core.paths import models_dir

    for label, path in (("full model checkpoint", full_model), ("tokenizer file", tokenizer)):
        if not Path(path).is_file():
            raise UserError(f"the {label} {path} does not exist")
    if not _NAME.fullmatch(name) or name == DEMO:
        raise UserError(
            f"{name!r} cannot name a model: use letters, digits, '.', '_' or '-' (not 'demo'), at most 64"
        )
    target = models_dir() / name
    if target.exists():
        raise UserError(f"a model named {name!r} is already imported; choose another name")
    return target


def import_official(
    *,
    full_model: Path,
    tokenizer: Path,
    name: str,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """Convert ``full_model`` (``primafullmodel107.pt``) and ``tokenizer`` (its JSON config, or the
    ``.pth`` weights alone) into ``models_dir()/name``; returns that folder.

    Raises ``CheckpointRefused``/``UserError`` with a one-line reason, ``Cancelled`` on cancel.
    """
    from prima_core.model import convert_official

    target = check_import(full_model=full_model, tokenizer=tokenizer, name=name)

    def relay(event: ProgressEvent) -> None:
        check(cancel)
        if progress is not None:
            progress(event)

    is_config = Path(tokenizer).suffix.lower() == ".json"
    work = Path(tempfile.mkdtemp(prefix=".importing-", dir=target.parent.parent))
    try:
        check(cancel)
        out = convert_official(
            full_model=Path(full_model),
            tokenizer_config=Path(tokenizer) if is_config else None,
            tokenizer=None if is_config else Path(tokenizer),
            out_dir=work / name,
            name=name,
            progress=relay,
        )
        check(cancel)
        if target.exists():
            raise UserError(f"a model named {name!r} appeared meanwhile; choose another name")
        Path(out).rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target
