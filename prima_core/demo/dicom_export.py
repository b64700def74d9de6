"""Write a voxel grid and its patient-space affine as a plain DICOM MR image series.

One uncompressed file per slice (MR Image Storage, explicit VR little endian). The geometry
tags follow from the affine of a :class:`~prima_core.io.volume.Volume`-style grid
(``affine @ (i, j, k, 1)`` is patient LPS mm, ``array[k, j, i]``): ImageOrientationPatient is
the unit row (i) and column (j) directions, ImagePositionPatient the LPS centre of slice k's
first pixel, PixelSpacing (row spacing, column spacing), and SpacingBetweenSlices the step
along k. UIDs are derived from caller-given entropy so the same input writes the same files.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset, write_file_meta_info
from pydicom.tag import Tag
from pydicom.uid import UID, ExplicitVRLittleEndian, MRImageStorage, generate_uid

from prima_core import __version__


def stable_uid(*parts: object) -> str:
    """A UID that depends only on ``parts`` (pydicom's root plus a hash of them)."""
    return str(generate_uid(entropy_srcs=["|".join(str(p) for p in parts)]))


@dataclass(frozen=True)
class StudyInfo:
    """Patient and study attributes shared by every file of a study."""

    study_uid: str
    frame_of_reference_uid: str
    patient_name: str
    patient_id: str
    description: str
    study_date: str  # YYYYMMDD
    study_time: str = "090000"
    accession_number: str = ""
    patient_sex: str = "O"
    patient_age: str = ""  # e.g. "054Y"
    patient_birth_date: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # more top-level keywords


@dataclass(frozen=True)
class SeriesInfo:
    """Series attributes: names, numbering, acquisition parameters, display window."""

    series_uid: str
    series_number: int
    description: str
    protocol_name: str
    thickness_mm: float
    window: tuple[float, float] | None = None
    image_type: tuple[str, ...] = ("ORIGINAL", "PRIMARY", "M", "ND")
    extra: dict[str, Any] = field(default_factory=dict)  # more top-level keywords (timing, sequence)


def slice_geometry(affine: np.ndarray) -> tuple[list[float], float, float, float]:
    """(ImageOrientationPatient, row spacing, column spacing, spacing between slices) of an affine."""
    spacing = np.linalg.norm(affine[:3, :3], axis=0)
    row_dir, col_dir = affine[:3, 0] / spacing[0], affine[:3, 1] / spacing[1]
    iop = [float(np.round(v, 6)) for v in (*row_dir, *col_dir)]
    return iop, float(spacing[1]), float(spacing[0]), float(spacing[2])


def _ds_number(value: float) -> str:
    """A decimal string of at most 16 characters."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if len(text) <= 16 else f"{value:.6g}"


def _common(study: StudyInfo, series: SeriesInfo, pixels: np.ndarray, affine: np.ndarray) -> dict[str, Any]:
    iop, row_spacing, col_spacing, between = slice_geometry(affine)
    _, rows, columns = pixels.shape
    values: dict[str, Any] = {
        "SOPClassUID": MRImageStorage,
        "ImageType": list(series.image_type),
        "StudyDate": study.study_date,
        "SeriesDate": study.study_date,
        "AcquisitionDate": study.study_date,
        "ContentDate": study.study_date,
        "StudyTime": study.study_time,
        "SeriesTime": study.study_time,
        "AccessionNumber": study.accession_number,
        "Modality": "MR",
        "Manufacturer": "Prima Viewer synthetic phantom",
        "ManufacturerModelName": "MNI152-2009 phantom",
        "SoftwareVersions": __version__,
        "InstitutionName": "Synthetic data (no patient)",
        "ReferringPhysicianName": "",
        "StudyDescription": study.description,
        "SeriesDescription": series.description,
        "ProtocolName": series.protocol_name,
        "PatientName": study.patient_name,
        "PatientID": study.patient_id,
        "PatientBirthDate": study.patient_birth_date,
        "PatientSex": study.patient_sex,
        "PatientAge": study.patient_age,
        "BodyPartExamined": "HEAD",
        "SliceThickness": _ds_number(series.thickness_mm),
        "SpacingBetweenSlices": _ds_number(between),
        "PatientPosition": "HFS",
        "StudyInstanceUID": study.study_uid,
        "SeriesInstanceUID": series.series_uid,
        "StudyID": "1",
        "SeriesNumber": series.series_number,
        "AcquisitionNumber": 1,
        "ImageOrientationPatient": [_ds_number(v) for v in iop],
        "FrameOfReferenceUID": study.frame_of_reference_uid,
        "PositionReferenceIndicator": "",
        "SamplesPerPixel": 1,
        "PhotometricInterpretation": "MONOCHROME2",
        "Rows": rows,
        "Columns": columns,
        "PixelSpacing": [_ds_number(row_spacing), _ds_number(col_spacing)],
        "BitsAllocated": 16,
        "BitsStored": 16,
        "HighBit": 15,
        "PixelRepresentation": 0,
        "RescaleIntercept": "0",
        "RescaleSlope": "1",
        "ImageComments": "Synthetic MRI phantom made by Prima Viewer; not a patient.",
    }
    if series.window is not None:
        values["WindowCenter"] = _ds_number(series.window[0])
        values["WindowWidth"] = _ds_number(series.window[1])
    values.update(study.extra)
    values.update(series.extra)
    return values


PER_SLICE = ("SOPInstanceUID", "InstanceNumber", "ImagePositionPatient", "SliceLocation", "PixelData")
PREAMBLE = b"\x00" * 128 + b"DICM"


def _encode(ds: Dataset) -> bytes:
    """pydicom's encoding of ``ds`` (explicit VR little endian, no file meta)."""
    fp = DicomBytesIO()
    fp.is_implicit_VR, fp.is_little_endian = False, True
    write_dataset(fp, ds)
    return fp.getvalue()


class _SliceEncoder:
    """Encodes a series' slices, with the elements they share encoded once.

    A file's data elements are written in tag order, each independently, so a slice's
    encoding is the shared elements (pre-encoded in runs between the per-slice tags) with
    the per-slice elements encoded in their places: the same bytes ``Dataset.save_as``
    writes, several times faster for a series of many slices.
    """

    def __init__(self, common: Dataset) -> None:
        self.tags = sorted(Tag(keyword) for keyword in PER_SLICE)
        runs = [Dataset() for _ in range(len(self.tags) + 1)]
        for element in common:
            runs[bisect.bisect(self.tags, element.tag)].add(element)
        self.runs = [_encode(run) for run in runs]

    def encode(self, meta: FileMetaDataset, values: dict[str, Any]) -> bytes:
        fp = DicomBytesIO()
        fp.is_implicit_VR, fp.is_little_endian = False, True
        write_file_meta_info(fp, meta, enforce_standard=True)
        parts = [PREAMBLE, fp.getvalue(), self.runs[0]]
        for tag, run in zip(self.tags, self.runs[1:], strict=True):
            element = Dataset()
            keyword = keyword_for_tag(tag)
            vr = "OW" if keyword == "PixelData" else dictionary_VR(tag)  # 16-bit pixels: OW
            element.add_new(tag, vr, values[keyword])
            parts += [_encode(element), run]
        return b"".join(parts)


def write_series(
    pixels: np.ndarray, affine: np.ndarray, *, folder: Path, study: StudyInfo, series: SeriesInfo
) -> list[Path]:
    """Write ``pixels`` (uint16, (nk, nj, ni)) placed by ``affine`` as one DICOM file per slice."""
    if pixels.dtype != np.uint16 or pixels.ndim != 3:
        raise ValueError("write_series needs a 3D uint16 array")
    folder.mkdir(parents=True, exist_ok=True)
    common = Dataset()
    for keyword, value in _common(study, series, pixels, affine).items():
        setattr(common, keyword, value)
    encoder = _SliceEncoder(common)
    normal = affine[:3, 2] / np.linalg.norm(affine[:3, 2])
    paths = []
    for k in range(pixels.shape[0]):
        position = affine[:3, :3] @ np.array([0.0, 0.0, k]) + affine[:3, 3]
        sop_uid = stable_uid(series.series_uid, "image", k)
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = MRImageStorage
        meta.MediaStorageSOPInstanceUID = UID(sop_uid)
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        values = {
            "SOPInstanceUID": sop_uid,
            "InstanceNumber": k + 1,
            "ImagePositionPatient": [_ds_number(float(v)) for v in position],
            "SliceLocation": _ds_number(float(position @ normal)),
            "PixelData": pixels[k].astype("<u2").tobytes(),
        }
        path = folder / f"IM{k + 1:04d}.dcm"
        path.write_bytes(encoder.encode(meta, values))
        paths.append(path)
    return paths
