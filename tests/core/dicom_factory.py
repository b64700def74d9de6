"""Write real DICOM series with pydicom, sampled from an analytic phantom in patient space.

``make_series`` places a grid of slices anywhere (any ImageOrientationPatient, shear,
spacing), samples the phantom at every pixel's LPS position, and writes the files. It
returns the truth the importer must recover: the affine and the array in our
``array[k, j, i]`` convention, slices sorted along the normal.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    UID,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    MRImageStorage,
    generate_uid,
)

ENHANCED_MR = UID("1.2.840.10008.5.1.4.1.1.4.1")
ORIENTATIONS = {
    "axial": (1, 0, 0, 0, 1, 0),
    "coronal": (1, 0, 0, 0, 0, -1),
    "sagittal": (0, 1, 0, 0, 0, -1),
    # rotated about two axes by 30 and 20 degrees: no axis within 25 degrees of the normal
    "oblique": None,
}
Phantom = Callable[[np.ndarray], np.ndarray]


def oblique_iop() -> tuple[float, ...]:
    a, b = np.radians(30.0), np.radians(35.0)
    rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    rot = ry @ rx
    return tuple(float(v) for v in np.concatenate([rot[:, 0], rot[:, 1]]))


def sphere_phantom(center: Sequence[float], radius: float = 6.0, peak: float = 1000.0) -> Phantom:
    """A bright smooth sphere (Gaussian profile) at ``center`` (LPS mm) on a dim background."""
    c = np.asarray(center, dtype=np.float64)

    def phantom(points: np.ndarray) -> np.ndarray:
        d2 = np.sum((points - c) ** 2, axis=-1)
        return 50.0 + peak * np.exp(-d2 / (2 * (radius / 2) ** 2))

    return phantom


@dataclass
class FactorySeries:
    """What was written, and the truth the importer must find."""

    paths: list[Path]
    affine: np.ndarray  # truth, slices sorted along the normal
    array: np.ndarray  # stored values, [k, j, i], sorted along the normal
    series_uid: str
    study_uid: str
    extra: dict = field(default_factory=dict)


def _iop(orientation: str | Sequence[float]) -> np.ndarray:
    if isinstance(orientation, str):
        return np.asarray(ORIENTATIONS[orientation] or oblique_iop(), dtype=np.float64)
    return np.asarray(orientation, dtype=np.float64)


def _base(sop_class: UID, ts: UID, **tags: object) -> FileDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ts
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds = FileDataset("", Dataset(), file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    for key, value in tags.items():
        if value is not None:
            setattr(ds, key, value)
    return ds


def _set_pixels(ds: FileDataset, frames: np.ndarray, ts: UID, *, signed: bool, bits_stored: int) -> None:
    ds.Rows, ds.Columns = frames.shape[-2:]
    ds.SamplesPerPixel = 1
    ds.BitsAllocated = frames.dtype.itemsize * 8
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    if UID(ts).is_compressed:
        ds.PixelData = frames.astype(frames.dtype.newbyteorder("<")).tobytes()
        ds.compress(ts, frames if frames.shape[0] > 1 else frames[0], generate_instance_uid=False)
        return
    order = ">" if ts == ExplicitVRBigEndian else "<"
    ds.PixelData = frames.astype(frames.dtype.newbyteorder(order)).tobytes()
    ds["PixelData"].VR = "OW" if frames.dtype.itemsize > 1 else "OB"


def make_series(
    tmp_dir: Path,
    *,
    orientation: str | Sequence[float] = "axial",
    shape: tuple[int, int, int] = (24, 20, 8),  # (columns, rows, slices)
    spacing: tuple[float, float, float] = (1.0, 1.2, 2.5),  # (column, row, slice) mm
    center: Sequence[float] = (0.0, 0.0, 0.0),
    shear: tuple[float, float] = (0.0, 0.0),  # slice offset along (row, column) directions per slice, mm
    phantom: Phantom | None = None,
    shuffled_names: bool = False,
    descending: bool = False,
    missing: Sequence[int] = (),
    echoes: int = 1,
    signed: bool = False,
    bits_stored: int = 12,
    enhanced: bool = False,
    transfer_syntax: UID = ExplicitVRLittleEndian,
    description: str | None = "AX T1",
    protocol: str | None = "AX T1",
    study_uid: str | None = None,
    series_uid: str | None = None,
    series_number: int = 1,
    photometric: str = "MONOCHROME2",
    slope: float = 1.0,
    intercept: float = 0.0,
    image_type: Sequence[str] = ("ORIGINAL", "PRIMARY", "M"),
    extra_tags: dict | None = None,
    edit: Callable[[Dataset, int], None] | None = None,
    bits_allocated: int = 16,
    slice_thickness: float | None = None,
    seed: int = 0,
) -> FactorySeries:
    """Write one DICOM series into ``tmp_dir`` (created) and return the truth (see module doc)."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    iop = _iop(orientation)
    row_dir, col_dir = iop[:3], iop[3:]
    normal = np.cross(row_dir, col_dir)
    ni, nj, nk = shape
    k_step = normal * spacing[2] + row_dir * shear[0] + col_dir * shear[1]
    centre = np.asarray(center, dtype=np.float64)
    first = (
        centre
        - row_dir * spacing[0] * (ni - 1) / 2
        - col_dir * spacing[1] * (nj - 1) / 2
        - k_step * (nk - 1) / 2
    )
    affine = np.eye(4)
    affine[:3, 0], affine[:3, 1], affine[:3, 2], affine[:3, 3] = (
        row_dir * spacing[0],
        col_dir * spacing[1],
        k_step,
        first,
    )
    jj, ii = np.meshgrid(np.arange(nj), np.arange(ni), indexing="ij")
    phantom = phantom or sphere_phantom(centre)
    dtype = np.dtype(f"{'i' if signed else 'u'}{bits_allocated // 8}")
    bits_stored = min(bits_stored, bits_allocated)
    kept = [k for k in range(nk) if k not in set(missing)]
    volumes = []
    for echo in range(echoes):
        frames = []
        for k in kept:
            pts = first + k * k_step + ii[..., None] * affine[:3, 0] + jj[..., None] * affine[:3, 1]
            values = (phantom(pts) / (echo + 1) - (500 if signed else 0)) * (bits_allocated / 16) ** 4
            frames.append(
                np.clip(np.round(values), -(2 ** (bits_stored - 1)) if signed else 0, 2**bits_stored - 1)
            )
        volumes.append(np.asarray(frames).astype(dtype))
    study_uid = study_uid or generate_uid()
    series_uid = series_uid or generate_uid()
    common = {
        "Modality": "MR",
        "StudyInstanceUID": study_uid,
        "SeriesInstanceUID": series_uid,
        "FrameOfReferenceUID": generate_uid(prefix=None, entropy_srcs=[study_uid]),
        "SeriesNumber": series_number,
        "SeriesDescription": description,
        "ProtocolName": protocol,
        "StudyDescription": "MRI BRAIN WO AND W CONTRAST",
        "PatientName": "FACTORY^PHANTOM",
        "PatientID": "F0001",
        "PatientSex": "O",
        "PatientAge": "040Y",
        "StudyDate": "20260102",
        "AccessionNumber": "ACC1",
        "PhotometricInterpretation": photometric,
        "ImageType": list(image_type),
        "RescaleSlope": slope if (slope, intercept) != (1.0, 0.0) else None,
        "RescaleIntercept": intercept if (slope, intercept) != (1.0, 0.0) else None,
        "WindowCenter": 500,
        "WindowWidth": 1000,
        **(extra_tags or {}),
    }
    positions = [first + k * k_step for k in kept]
    order = list(range(len(kept)))  # the order files are written and numbered in
    if descending:
        order.reverse()
    elif shuffled_names:
        random.Random(seed).shuffle(order)
    written = [volume[order] for volume in volumes]
    writer = _write_enhanced if enhanced else _write_classic
    thickness = spacing[2] if slice_thickness is None else slice_thickness
    options = {"signed": signed, "bits_stored": bits_stored, "thickness": thickness, "edit": edit}
    placed = [positions[i] for i in order]
    paths = writer(tmp_dir, written, placed, iop, spacing, transfer_syntax, common, options)
    return FactorySeries(paths, affine, volumes[0], series_uid, study_uid, {"volumes": volumes, "kept": kept})


def _write_classic(tmp_dir, volumes, positions, iop, spacing, ts, common, options) -> list[Path]:
    paths = []
    for e, volume in enumerate(volumes):
        for n, (frame, pos) in enumerate(zip(volume, positions, strict=True)):
            ds = _base(MRImageStorage, ts, **common)
            ds.ImagePositionPatient = [float(v) for v in pos]
            ds.ImageOrientationPatient = [float(v) for v in iop]
            ds.PixelSpacing = [spacing[1], spacing[0]]
            ds.SliceThickness = options["thickness"]
            ds.InstanceNumber = e * len(volume) + n + 1
            ds.EchoNumbers = e + 1
            ds.EchoTime = 10.0 * (e + 1)
            ds.RepetitionTime = 500.0
            if options["edit"] is not None:
                options["edit"](ds, n)
            _set_pixels(ds, frame[None], ts, signed=options["signed"], bits_stored=options["bits_stored"])
            path = tmp_dir / f"IM{len(paths):04d}.dcm"
            _save(ds, path, ts)
            paths.append(path)
    return paths


def _item(**tags: object) -> DicomSequence:
    item = Dataset()
    for key, value in tags.items():
        setattr(item, key, value)
    return DicomSequence([item])


def _write_enhanced(tmp_dir, volumes, positions, iop, spacing, ts, common, options) -> list[Path]:
    ds = _base(
        ENHANCED_MR, ts, **{k: v for k, v in common.items() if k not in ("RescaleSlope", "RescaleIntercept")}
    )
    shared = Dataset()
    shared.PixelMeasuresSequence = _item(
        PixelSpacing=[spacing[1], spacing[0]], SliceThickness=options["thickness"]
    )
    shared.PlaneOrientationSequence = _item(ImageOrientationPatient=[float(v) for v in iop])
    shared.PixelValueTransformationSequence = _item(
        RescaleSlope=common.get("RescaleSlope") or 1.0, RescaleIntercept=common.get("RescaleIntercept") or 0.0
    )
    ds.SharedFunctionalGroupsSequence = DicomSequence([shared])
    per_frame = []
    for e, volume in enumerate(volumes):
        for n, pos in enumerate(positions[: len(volume)]):
            item = Dataset()
            item.PlanePositionSequence = _item(ImagePositionPatient=[float(v) for v in pos])
            item.FrameContentSequence = _item(StackID="1", InStackPositionNumber=n + 1)
            item.MREchoSequence = _item(EffectiveEchoTime=10.0 * (e + 1))
            per_frame.append(item)
    ds.PerFrameFunctionalGroupsSequence = DicomSequence(per_frame)
    frames = np.concatenate(volumes)
    ds.NumberOfFrames = len(frames)
    ds.InstanceNumber = 1
    if options["edit"] is not None:
        options["edit"](ds, 0)
    _set_pixels(ds, frames, ts, signed=options["signed"], bits_stored=options["bits_stored"])
    path = tmp_dir / "ENHANCED.dcm"
    _save(ds, path, ts)
    return [path]


def _save(ds: FileDataset, path: Path, ts: UID) -> None:
    """Write with the encoding the transfer syntax names (pydicom's save_as refuses big endian here)."""
    pydicom.dcmwrite(path, ds, enforce_file_format=True)
