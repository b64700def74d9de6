"""Keep every test's user folders (caches, imported models, settings) inside a temporary directory."""

import pytest


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    base = tmp_path_factory.mktemp("user")
    for name in ("DATA", "CONFIG", "LOG"):
        monkeypatch.setenv(f"PRIMA_VIEWER_{name}_DIR", str(base / name.lower()))
    # The cache is shared by the whole session so the generated demo study is made once.
    monkeypatch.setenv("PRIMA_VIEWER_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "shared_cache"))
