"""Window/level presets for MR display.

MR intensities have no absolute unit (they change with scanner, coil and protocol), so a fixed
window per sequence, as CT uses, would be wrong on most studies. The presets here are therefore
percentile ranges of the volume's own intensities, chosen per contrast: what a reader usually
wants to see bright or dark on a T1, a FLAIR or a DWI. They are computed once per volume from a
subsample, so opening a large series stays quick.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from prima_core.io.study import SequenceType
from prima_core.io.volume import Volume

_PERCENTS = np.round(np.arange(0.0, 100.0001, 0.1), 1)


@dataclass(frozen=True)
class WindowLevel:
    center: float
    width: float

    @property
    def lower(self) -> float:
        return self.center - self.width / 2

    @property
    def upper(self) -> float:
        return self.center + self.width / 2

    @classmethod
    def from_range(cls, lower: float, upper: float) -> WindowLevel:
        width = max(float(upper) - float(lower), 1e-6)
        return cls(float(lower) + width / 2, width)


@dataclass(frozen=True)
class WindowPreset:
    name: str
    window: WindowLevel
    description: str = ""


@dataclass(frozen=True)
class IntensityProfile:
    """Percentiles (every 0.1 %) of all voxels and of the foreground voxels of a volume."""

    all_voxels: np.ndarray
    foreground: np.ndarray
    minimum: float
    maximum: float

    def percentile(self, percent: float, *, foreground: bool = False) -> float:
        table = self.foreground if foreground else self.all_voxels
        return float(np.interp(percent, _PERCENTS, table))


def intensity_profile(volume: Volume, *, max_samples: int = 2_000_000) -> IntensityProfile:
    """Summarise a volume's intensities from a regular subsample of at most ``max_samples``.

    Foreground is everything brighter than 5 % of the way from the 0.5th to the 99.5th
    percentile: it drops the air around the head, which would otherwise dominate MR histograms.
    """
    array = volume.array
    stride = max(1, int(np.ceil((array.size / max_samples) ** (1 / 3))))
    sample = np.asarray(array[::stride, ::stride, ::stride], dtype=np.float64).ravel()
    sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        sample = np.zeros(1)
    table = np.percentile(sample, _PERCENTS)
    low, high = np.interp(0.5, _PERCENTS, table), np.interp(99.5, _PERCENTS, table)
    fore = sample[sample > low + 0.05 * (high - low)]
    fore_table = np.percentile(fore, _PERCENTS) if fore.size else table
    return IntensityProfile(table, fore_table, float(sample.min()), float(sample.max()))


# Foreground percentile ranges per contrast: (name, lower %, upper %, why).
_SEQUENCE_RANGES: dict[SequenceType, tuple[tuple[str, float, float, str], ...]] = {
    SequenceType.T1: (("Brain", 1.0, 99.0, "grey/white contrast"), ("Wide", 0.0, 99.9, "")),
    SequenceType.T1_POST: (("Enhancement", 2.0, 99.7, "keeps enhancing tissue bright"),),
    SequenceType.T2: (("Brain", 1.0, 99.5, "CSF bright, tissue mid-grey"),),
    SequenceType.FLAIR: (("Lesions", 5.0, 99.8, "suppressed CSF dark, lesions stand out"),),
    SequenceType.DWI: (("Restriction", 10.0, 99.9, "restricted diffusion stands out"),),
    SequenceType.ADC: (("ADC", 1.0, 99.0, "full diffusivity range"),),
    SequenceType.SWI: (("Susceptibility", 0.5, 99.0, "dark blooming kept visible"),),
    SequenceType.OTHER: (("Tissue", 1.0, 99.0, ""),),
}


def _usable(window: WindowLevel, profile: IntensityProfile, *, min_fraction: float = 0.02) -> WindowLevel:
    """``window``, or the full range when it is too narrow to show anything (e.g. a uniform phantom)."""
    full = profile.maximum - profile.minimum
    if window.width >= min_fraction * full:
        return window
    return WindowLevel.from_range(profile.minimum, profile.maximum if full > 0 else profile.minimum + 1.0)


def auto_window(profile: IntensityProfile) -> WindowLevel:
    """Percentiles 1-99 of the whole volume (the full range if those coincide)."""
    return _usable(WindowLevel.from_range(profile.percentile(1.0), profile.percentile(99.0)), profile)


def window_presets(
    profile: IntensityProfile,
    *,
    sequence: SequenceType | str = SequenceType.OTHER,
    dicom_window: tuple[float, float] | None = None,
) -> list[WindowPreset]:
    """Presets for one volume; the first one is the default for its sequence type."""
    try:
        seq = SequenceType(sequence)
    except ValueError:
        seq = SequenceType.OTHER
    presets = [
        WindowPreset(
            f"{seq.value} {name}" if seq is not SequenceType.OTHER else name,
            _usable(
                WindowLevel.from_range(
                    profile.percentile(lo, foreground=True), profile.percentile(hi, foreground=True)
                ),
                profile,
            ),
            why,
        )
        for name, lo, hi, why in _SEQUENCE_RANGES[seq]
    ]
    presets.append(WindowPreset("Auto (1-99 %)", auto_window(profile), "percentiles 1-99 of the volume"))
    if dicom_window is not None and dicom_window[1] > 0:
        presets.append(
            WindowPreset(
                "DICOM", WindowLevel(float(dicom_window[0]), float(dicom_window[1])), "from the file"
            )
        )
    presets.append(
        WindowPreset(
            "Full range", WindowLevel.from_range(profile.minimum, profile.maximum), "minimum to maximum"
        )
    )
    return presets
