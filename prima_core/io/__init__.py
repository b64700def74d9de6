"""Find and read studies (DICOM folders, DICOMDIR, zip archives, NIfTI) as Study / Series / Volume."""

from prima_core.io.importer import open_studies
from prima_core.io.naming import model_series_name
from prima_core.io.study import ImportResult, Plane, SequenceType, Series, SkippedFile, Study
from prima_core.io.volume import Volume

__all__ = [
    "ImportResult",
    "Plane",
    "SequenceType",
    "Series",
    "SkippedFile",
    "Study",
    "Volume",
    "model_series_name",
    "open_studies",
]
