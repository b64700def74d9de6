"""The MNI152 2009 template that every demo phantom starts from.

The repository ships three 1.5 mm maps of the MNI ICBM 2009a symmetric template (T1, grey matter
and white matter probability, uint8) in ``resources/demo/`` with their licence notice. They are
made from the 1 mm copies that nilearn ships by :func:`rebuild_template_files` (run
``python scripts/rebuild_demo_template.py``); nothing at run time needs nilearn.

:func:`load_template` turns them into the tissue maps a phantom is built from (grey matter, white
matter, cerebrospinal fluid, ventricles, the intracranial cavity and its depth, skull, scalp,
orbits, a neck) on one grid in *template LPS* millimetres. The arrays are indexed ``[k, j, i]``
(superior, posterior, left) like a :class:`~prima_core.io.volume.Volume`, and ``affine`` maps
``(i, j, k, 1)`` to template LPS mm. The result is cached per process.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage as ndi

from prima_core.resources import resources_dir

TEMPLATE_SPACING_MM = 1.5
NECK_PAD_MM = 39.0  # the template stops at z = -72 mm; a neck is added below it
TEMPLATE_FILES = {
    "t1": "mni152_2009a_t1_1p5mm.nii.gz",
    "gm": "mni152_2009a_gm_1p5mm.nii.gz",
    "wm": "mni152_2009a_wm_1p5mm.nii.gz",
}
NILEARN_NAMES = {
    "t1": "mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz",
    "gm": "mni_icbm152_gm_tal_nlin_sym_09a_converted.nii.gz",
    "wm": "mni_icbm152_wm_tal_nlin_sym_09a_converted.nii.gz",
}


def resource_dir() -> Path:
    """Where the demo assets live: ``resources/demo`` (see :func:`prima_core.resources.resources_dir`)."""
    return resources_dir() / "demo"


@dataclass(frozen=True, eq=False)
class Template:
    """Normal head anatomy on the phantom grid (fractions 0..1 unless said otherwise)."""

    affine: np.ndarray  # (i, j, k, 1) -> template LPS mm
    gm: np.ndarray
    wm: np.ndarray
    cavity: np.ndarray  # intracranial space (brain, CSF, dura)
    depth: np.ndarray  # mm below the inner table of the skull (negative outside the cavity)
    ventricles: np.ndarray
    ventricle_distance: np.ndarray  # mm from the ventricle wall (negative inside)
    sulcal_distance: np.ndarray  # mm from the nearest sulcal / surface CSF
    fixed: dict[str, np.ndarray]  # scalp, skull, orbits, dura, sinuses, choroid: never warped

    @property
    def shape(self) -> tuple[int, int, int]:
        nk, nj, ni = self.gm.shape
        return nk, nj, ni

    def grid_lps(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """1D LPS coordinates (mm) of the grid along k (z), j (y) and i (x)."""
        nk, nj, ni = self.shape
        o, s = self.affine[:3, 3], np.diag(self.affine)[:3]
        return (
            (o[2] + s[2] * np.arange(nk)).astype(np.float32),
            (o[1] + s[1] * np.arange(nj)).astype(np.float32),
            (o[0] + s[0] * np.arange(ni)).astype(np.float32),
        )

    def lps_to_index(self, lps: np.ndarray) -> np.ndarray:
        """(..., 3) LPS mm -> (..., 3) continuous (i, j, k) indices on this grid."""
        return (np.asarray(lps, np.float64) - self.affine[:3, 3]) / np.diag(self.affine)[:3]

    def index_to_lps(self, ijk: np.ndarray) -> np.ndarray:
        return np.asarray(ijk, np.float64) * np.diag(self.affine)[:3] + self.affine[:3, 3]


def _read_lps(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read a stored map as a float32 [k, j, i] LPS array (0..1) and its diagonal LPS affine."""
    import nibabel as nib

    image: Any = nib.load(str(path))
    ras = np.asarray(image.affine, dtype=np.float64)
    lps = np.diag([-1.0, -1.0, 1.0, 1.0]) @ ras
    data = np.asarray(image.dataobj, dtype=np.float32) / 255.0
    for axis in range(3):  # make every axis increase along L, P, S
        if lps[axis, axis] < 0:
            data = np.flip(data, axis=axis)
            lps[:3, 3] += lps[:3, axis] * (data.shape[axis] - 1)
            lps[:3, axis] *= -1
    return np.ascontiguousarray(data.transpose(2, 1, 0)), lps


@functools.lru_cache(maxsize=1)
def load_template() -> Template:
    """Load the shipped maps and derive the phantom's normal anatomy (cached per process)."""
    from prima_core.demo.phantom_head import build_head

    folder = resource_dir()
    missing = [name for name in TEMPLATE_FILES.values() if not (folder / name).exists()]
    if missing:
        raise FileNotFoundError(
            f"demo template files missing from {folder}: {', '.join(missing)} "
            "(rebuild them with scripts/rebuild_demo_template.py)"
        )
    t1, affine = _read_lps(folder / TEMPLATE_FILES["t1"])
    gm, _ = _read_lps(folder / TEMPLATE_FILES["gm"])
    wm, _ = _read_lps(folder / TEMPLATE_FILES["wm"])
    pad = int(round(NECK_PAD_MM / TEMPLATE_SPACING_MM))
    t1, gm, wm = (np.pad(a, ((pad, 0), (0, 0), (0, 0))) for a in (t1, gm, wm))
    affine = affine.copy()
    affine[2, 3] -= pad * affine[2, 2]
    return build_head(t1=t1, gm=gm, wm=wm, affine=affine)


def rebuild_template_files(*, source_dir: Path | None = None, out_dir: Path | None = None) -> list[Path]:
    """Make the shipped 1.5 mm maps from nilearn's 1 mm MNI152 2009 copies (a development step).

    Each map is smoothed with a Gaussian of 0.5 output voxels (anti-aliasing) and sampled
    trilinearly at the centres of a 1.5 mm grid over the same field of view, then stored as
    uint8 NIfTI with a RAS affine. ``source_dir`` defaults to nilearn's ``datasets/data``.
    """
    import nibabel as nib

    if source_dir is None:
        import importlib.util

        spec = importlib.util.find_spec("nilearn")
        if spec is None or spec.origin is None:
            raise RuntimeError("nilearn is not installed: pass source_dir")
        source_dir = Path(spec.origin).parent / "datasets" / "data"
    out_dir = out_dir or resource_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for key, name in NILEARN_NAMES.items():
        image: Any = nib.load(str(source_dir / name))
        data = np.asarray(image.dataobj, dtype=np.float32)
        src_spacing = np.sqrt((image.affine[:3, :3] ** 2).sum(axis=0))
        step = TEMPLATE_SPACING_MM / src_spacing
        smooth = ndi.gaussian_filter(data, sigma=0.5 * step)
        shape = np.floor((np.array(data.shape) - 1) / step).astype(int) + 1
        axes = [np.arange(n) * s for n, s in zip(shape, step, strict=True)]
        coords = np.stack(np.meshgrid(*axes, indexing="ij"))
        out = ndi.map_coordinates(smooth, coords, order=1, prefilter=False)
        affine = image.affine.copy()
        affine[:3, :3] = image.affine[:3, :3] * step
        target = out_dir / TEMPLATE_FILES[key]
        img = nib.Nifti1Image(np.clip(np.rint(out), 0, 255).astype(np.uint8), affine)
        img.header.set_xyzt_units("mm")
        nib.save(img, str(target))
        written.append(target)
    return written
