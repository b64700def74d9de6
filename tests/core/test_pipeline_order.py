"""Series are visited in the release's order: natural sort of their folders."""

from __future__ import annotations

from pathlib import Path

from prima_core.io import Series
from prima_core.pipeline.order import natural_key, release_order


def _series(name: str, folder: str | None, number: int | None = None) -> Series:
    files = [Path("/study") / folder / "IM0001.dcm"] if folder else []
    return Series(f"1.{name}", name, series_number=number, files=files)


def test_folders_sort_naturally_not_by_series_number():
    series = [_series("B", "s10", 1), _series("A", "s9", 2), _series("C", "S1", 3)]
    assert [s.model_name for s in release_order(series)] == ["C", "A", "B"]  # "S" < "s", 9 < 10
    assert natural_key("IM0010") > natural_key("IM9")


def test_series_sharing_a_folder_or_without_files_fall_back_to_number_then_name():
    series = [_series("Z", "flat", 3), _series("Y", "flat", 1), _series("X", None), _series("W", None, 5)]
    assert [s.model_name for s in release_order(series)] == ["W", "X", "Y", "Z"]
