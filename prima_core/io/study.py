"""Studies and series as the importer finds them, and the report of what it skipped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from prima_core.io.volume import Volume


class SequenceType(StrEnum):
    """A best guess of the MR contrast, from tags and names."""

    T1 = "T1"
    T1_POST = "T1 post-contrast"
    T2 = "T2"
    FLAIR = "FLAIR"
    DWI = "DWI"
    ADC = "ADC"
    SWI = "SWI/GRE"
    OTHER = "other"


class Plane(StrEnum):
    AXIAL = "axial"
    CORONAL = "coronal"
    SAGITTAL = "sagittal"
    OBLIQUE = "oblique"


@dataclass
class Series:
    """One 3D stack of a study.

    ``model_name`` is the series name that Prima reads (see ``prima_core.io.naming``).
    The voxels are read only when ``load()`` is first called.
    """

    series_instance_uid: str
    model_name: str
    description: str = ""
    protocol_name: str = ""
    modality: str = "MR"
    series_number: int | None = None
    sequence: SequenceType = SequenceType.OTHER
    plane: Plane = Plane.AXIAL
    shape: tuple[int, int, int] = (0, 0, 0)  # (ni, nj, nk): columns, rows, slices
    spacing: tuple[float, float, float] = (1.0, 1.0, 1.0)  # mm along i, j, k
    window: tuple[float, float] | None = None  # (center, width) from the file, if any
    warnings: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    loader: Callable[[], Volume] | None = field(default=None, repr=False, compare=False)
    _volume: Volume | None = field(default=None, repr=False, compare=False)

    def load(self) -> Volume:
        """Read the voxels (once) and return the placed volume."""
        if self._volume is None:
            if self.loader is None:
                raise RuntimeError(f"series {self.model_name!r} has no pixel loader")
            self._volume = self.loader()
        return self._volume

    def to_dict(self) -> dict[str, Any]:
        return {
            "series_instance_uid": self.series_instance_uid,
            "name": self.model_name,
            "description": self.description,
            "protocol_name": self.protocol_name,
            "series_number": self.series_number,
            "sequence": str(self.sequence),
            "plane": str(self.plane),
            "shape": list(self.shape),
            "spacing": [float(s) for s in self.spacing],
            "window": list(self.window) if self.window else None,
            "files": len(self.files),
            "warnings": list(self.warnings),
        }


@dataclass
class Study:
    """A patient's imaging study: the series that share one StudyInstanceUID."""

    study_instance_uid: str
    description: str = ""
    patient_name: str = ""
    patient_id: str = ""
    patient_sex: str = ""
    patient_age: str = ""
    study_date: str = ""
    accession_number: str = ""
    source: Path | None = None
    series: list[Series] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "study_instance_uid": self.study_instance_uid,
            "description": self.description,
            "patient_name": self.patient_name,
            "patient_id": self.patient_id,
            "patient_sex": self.patient_sex,
            "patient_age": self.patient_age,
            "study_date": self.study_date,
            "accession_number": self.accession_number,
            "source": str(self.source) if self.source else None,
            "series": [s.to_dict() for s in self.series],
        }


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


@dataclass
class ImportResult:
    """Everything an import found, and an account of everything it did not use."""

    studies: list[Study] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    files_scanned: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "studies": [s.to_dict() for s in self.studies],
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "files_scanned": self.files_scanned,
        }
