"""A NIfTI file as a one-series study (one series per volume of a 4D file).

nibabel's affine maps ``(i, j, k)`` of ``array[i, j, k]`` to RAS millimetres; ours maps
``(i, j, k)`` of ``array[k, j, i]`` to LPS. So the array is transposed and the first two
rows of the affine are negated.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import nibabel as nib
import numpy as np
from nibabel.spatialimages import SpatialImage

from prima_core.errors import UserError
from prima_core.io.dicom_header import MAX_IMAGE_BYTES
from prima_core.io.geometry import classify_plane
from prima_core.io.naming import model_series_name
from prima_core.io.sequence import guess_sequence
from prima_core.io.study import ImportResult, Series, Study
from prima_core.io.volume import Volume

RAS_TO_LPS = np.diag([-1.0, -1.0, 1.0, 1.0])


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".nii.gz", ".nii"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _uid(path: Path, part: str) -> str:
    """A stable pseudo-UID for a file that has none (2.25 = UUID-derived UID root)."""
    digest = hashlib.sha256(f"{path.resolve()}|{part}".encode()).hexdigest()[:30]
    return f"2.25.{int(digest, 16)}"


def _load(path: Path) -> SpatialImage:
    img = nib.load(str(path))
    if not isinstance(img, SpatialImage):
        raise UserError(f"{path}: not a NIfTI image")
    return img


def nifti_volume(path: Path, index: int | None) -> Volume:
    """Read volume ``index`` (None for a 3D file) of ``path`` in our array/affine convention."""
    img = _load(path)
    data = np.asanyarray(img.dataobj)  # applies scl_slope/scl_inter when the header sets them
    if index is not None:
        data = data[..., index]
    data = np.squeeze(data, axis=tuple(range(3, data.ndim))) if data.ndim > 3 else data
    if data.ndim != 3:
        raise UserError(f"{path}: a {data.ndim}D NIfTI image is not a volume")
    array = np.ascontiguousarray(data.transpose(2, 1, 0))
    if array.dtype == np.float64:
        array = array.astype(np.float32)  # scaled integers come back as float64; DICOM rescale gives float32
    affine = RAS_TO_LPS @ img.affine
    return Volume(array, affine, {"source": str(path), "format": "NIfTI", "volume_index": index})


def open_nifti(path: Path) -> ImportResult:
    """Read the header of ``path`` and return a study whose series load lazily."""
    try:
        img = _load(path)
        shape = tuple(int(s) for s in img.shape)
    except UserError:
        raise
    except Exception as exc:  # nibabel raises several types for corrupt files
        raise UserError(f"{path}: not a readable NIfTI file ({type(exc).__name__}: {exc})") from None
    if len(shape) < 3:
        raise UserError(f"{path}: a {len(shape)}D NIfTI image is not a volume")
    extra = int(np.prod(shape[3:])) if len(shape) > 3 else 1
    if len(shape) > 4 and extra > 1:
        raise UserError(f"{path}: NIfTI images with more than 4 dimensions are not read")
    nbytes = int(np.prod(shape[:3])) * extra * img.get_data_dtype().itemsize
    if nbytes > MAX_IMAGE_BYTES:
        raise UserError(f"{path}: image too large ({nbytes / 1024**3:.1f} GiB, limit 2 GiB)")
    affine = RAS_TO_LPS @ img.affine
    zooms = np.linalg.norm(affine[:3, :3], axis=0)
    stem = _stem(path)
    study = Study(study_instance_uid=_uid(path, "study"), description=stem, source=path)
    indices: list[int | None] = [None] if extra == 1 else list(range(shape[3]))
    for index in indices:
        part = "" if index is None else f" [volume {index + 1} of {len(indices)}]"
        uid = _uid(path, f"series{index}")
        series = Series(
            series_instance_uid=uid,
            model_name=model_series_name(stem, None, uid),
            description=stem + part,
            plane=classify_plane(affine[:3, 2]),
            sequence=guess_sequence(description=stem),
            shape=(shape[0], shape[1], shape[2]),
            spacing=(float(zooms[0]), float(zooms[1]), float(zooms[2])),
            files=[path],
            metadata={"format": "NIfTI", "volume_index": index},
        )
        series.loader = _loader(path, index)
        study.series.append(series)
    return ImportResult(studies=[study], files_scanned=1)


def _loader(path: Path, index: int | None):  # noqa: ANN202 - a Series.loader
    return lambda: nifti_volume(path, index)
