"""Scanner side of the phantom: series protocols, head pose and each series' slice geometry.

The protocols are those of a routine brain MRI: 2D slices 3-6 mm thick with a small gap, square
fields of view of 220-250 mm sampled with 256-512 matrices (in-plane pixels of 0.45-0.95 mm),
diffusion at an acquired 128 matrix interpolated to 256. Half of the studies are planned on the
scanner axes, the other half along the head (slightly oblique slices, as technologists do).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from prima_core.demo.phantom_contrast import Contrast
from prima_core.demo.phantom_template import Template

PLANE_AXES = {  # (row direction, column direction) on the scanner axes, LPS
    "axial": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
    "coronal": ((1.0, 0.0, 0.0), (0.0, 0.0, -1.0)),
    "sagittal": ((0.0, 1.0, 0.0), (0.0, 0.0, -1.0)),
}


@dataclass(frozen=True)
class SeriesKind:
    """A protocol entry: what the technologist picks from the scanner's menu."""

    description: str
    contrast: Contrast
    plane: str
    thickness_mm: tuple[float, float]
    gap_mm: tuple[float, float]
    matrices: tuple[int, ...]
    fov_mm: tuple[float, float]
    noise: float  # noise sigma relative to white matter signal
    timing: dict[str, float]  # RepetitionTime, EchoTime, InversionTime, FlipAngle
    sequence: str  # ScanningSequence
    acquired_matrix: int | None = None  # when the scanner interpolates (diffusion)


_T1 = {"RepetitionTime": 550.0, "EchoTime": 10.0, "FlipAngle": 90.0}
_T2 = {"RepetitionTime": 5000.0, "EchoTime": 100.0, "FlipAngle": 90.0}
_FLAIR = {"RepetitionTime": 9000.0, "EchoTime": 120.0, "InversionTime": 2500.0, "FlipAngle": 90.0}
_DWI = {"RepetitionTime": 6000.0, "EchoTime": 75.0, "FlipAngle": 90.0}
_SWI = {"RepetitionTime": 28.0, "EchoTime": 20.0, "FlipAngle": 15.0}
_THIN, _STD = (3.0, 4.0), (4.0, 6.0)
KINDS: dict[str, SeriesKind] = {
    k.description: k
    for k in (
        SeriesKind("AX T1", Contrast.T1, "axial", _STD, (0.0, 1.5), (256, 320), (220, 240), 0.030, _T1, "SE"),
        SeriesKind(
            "SAG T1", Contrast.T1, "sagittal", _STD, (0.0, 1.0), (256, 320), (230, 250), 0.030, _T1, "SE"
        ),
        SeriesKind(
            "AX T2 FSE", Contrast.T2, "axial", _STD, (0.0, 1.5), (320, 384), (220, 240), 0.035, _T2, "SE"
        ),
        SeriesKind(
            "AX FLAIR", Contrast.FLAIR, "axial", _STD, (0.0, 1.5), (256, 320), (220, 240), 0.040, _FLAIR, "IR"
        ),
        SeriesKind(
            "COR FLAIR",
            Contrast.FLAIR,
            "coronal",
            _STD,
            (0.0, 1.0),
            (256, 320),
            (220, 240),
            0.040,
            _FLAIR,
            "IR",
        ),
        SeriesKind(
            "AX T1 POST",
            Contrast.T1_POST,
            "axial",
            _STD,
            (0.0, 1.5),
            (256, 320),
            (220, 240),
            0.030,
            _T1,
            "SE",
        ),
        SeriesKind(
            "COR T1 POST",
            Contrast.T1_POST,
            "coronal",
            _STD,
            (0.0, 1.0),
            (256, 320),
            (220, 240),
            0.030,
            _T1,
            "SE",
        ),
        SeriesKind(
            "SAG T1 POST",
            Contrast.T1_POST,
            "sagittal",
            _STD,
            (0.0, 1.0),
            (256, 320),
            (230, 250),
            0.030,
            _T1,
            "SE",
        ),
        SeriesKind(
            "AX DWI B1000",
            Contrast.DWI,
            "axial",
            _STD,
            (0.0, 1.0),
            (256,),
            (220, 240),
            0.035,
            _DWI,
            "EP",
            128,
        ),
        SeriesKind(
            "AX ADC", Contrast.ADC, "axial", _STD, (0.0, 1.0), (256,), (220, 240), 0.040, _DWI, "EP", 128
        ),
        SeriesKind(
            "AX SWI", Contrast.SWI, "axial", _THIN, (0.0, 0.0), (256, 320), (220, 240), 0.040, _SWI, "GR"
        ),
    )
}
SHOWCASE_SERIES = ("AX T1", "AX T2 FSE", "AX FLAIR", "AX T1 POST", "AX DWI B1000")


def choose_protocol(rng: np.random.Generator) -> list[str]:
    """A plausible routine protocol (4-7 series); the ADC map shares the DWI geometry."""
    chosen = [name for name, p in (("SAG T1", 0.6), ("AX T1", 0.7)) if rng.random() < p] or ["AX T1"]
    chosen += ["AX T2 FSE"] if rng.random() < 0.95 else []
    chosen += ["AX FLAIR"] if rng.random() < 0.85 else ["COR FLAIR"]
    if rng.random() < 0.9:
        chosen += ["AX DWI B1000"] + (["AX ADC"] if rng.random() < 0.4 else [])
    chosen += ["AX SWI"] if rng.random() < 0.3 else []
    if rng.random() < 0.7:
        post = [
            n
            for n, p in (("AX T1 POST", 0.8), ("COR T1 POST", 0.45), ("SAG T1 POST", 0.15))
            if rng.random() < p
        ]
        chosen += post or ["AX T1 POST"]
    while len(chosen) > 7:
        optional = [n for n in ("AX SWI", "AX ADC", "SAG T1", "SAG T1 POST", "COR T1 POST") if n in chosen]
        chosen.remove(optional[0])
    return chosen


def _rotation(angles_deg: np.ndarray) -> np.ndarray:
    """Rotation about x (nodding), then y (tilt), then z (turning), in degrees."""
    ax, ay, az = np.radians(angles_deg)
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    return rz @ ry @ rx


@dataclass(frozen=True)
class Pose:
    """Where the subject's head lies in the scanner: template LPS -> patient LPS."""

    matrix: np.ndarray  # 4x4
    rotation: np.ndarray  # 3x3, the rigid part (what a technologist aligns slices to)

    @staticmethod
    def random(rng: np.random.Generator) -> Pose:
        rotation = _rotation(rng.uniform([-12, -6, -8], [12, 6, 8]))
        # MNI space is about 5 % larger (linearly) than an average adult head.
        scale = rng.uniform(0.88, 1.0) * rng.uniform(0.96, 1.04, size=3)
        matrix = np.eye(4)
        matrix[:3, :3] = rotation @ np.diag(scale)
        matrix[:3, 3] = rng.uniform([-8, -12, -15], [8, 12, 15])
        return Pose(matrix=matrix, rotation=rotation)

    def to_template(self) -> np.ndarray:
        return np.linalg.inv(self.matrix)

    def apply(self, points: np.ndarray) -> np.ndarray:
        return np.asarray(points) @ self.matrix[:3, :3].T + self.matrix[:3, 3]


@dataclass(frozen=True)
class SeriesGeometry:
    """The voxel grid of one series: ``affine @ (i, j, k, 1)`` is patient LPS mm."""

    affine: np.ndarray
    shape: tuple[int, int, int]  # (nk, nj, ni): slices, rows, columns
    thickness_mm: float
    spacing_between_mm: float
    acquired_matrix: int

    @property
    def pixel_spacing(self) -> float:
        return float(np.linalg.norm(self.affine[:3, 0]))


@functools.lru_cache(maxsize=2)
def cavity_points(template: Template) -> np.ndarray:
    """Template LPS positions of a sparse sample of the intracranial cavity above the foramen magnum."""
    k, j, i = np.nonzero(template.cavity[::2, ::4, ::4] > 0.5)
    points = template.index_to_lps(np.stack([i * 4, j * 4, k * 2], axis=1))
    return points[points[:, 2] > -66.0]


def plan_geometry(
    kind: SeriesKind, *, rng: np.random.Generator, pose: Pose, template: Template, along_head: bool
) -> SeriesGeometry:
    """Choose the slices of one series so that they cover the head as a technologist would."""
    row, col = (np.array(v) for v in PLANE_AXES[kind.plane])
    if along_head:
        row, col = pose.rotation @ row, pose.rotation @ col
    normal = np.cross(row, col)
    matrix = int(rng.choice(kind.matrices))
    fov = float(rng.uniform(*kind.fov_mm))
    pixel = fov / matrix
    thickness = float(np.round(rng.uniform(*kind.thickness_mm) * 2) / 2)
    between = thickness + float(np.round(rng.uniform(*kind.gap_mm) * 2) / 2)
    points = pose.apply(cavity_points(template))
    along = points @ normal
    lo, hi = along.min(), along.max()
    if kind.plane == "axial":
        lo, hi = lo + 8.0, hi + 4.0
    else:
        lo, hi = lo - 3.0, hi + 3.0
    n_slices = int(np.ceil((hi - lo) / between))
    start = (lo + hi) / 2 - between * (n_slices - 1) / 2
    centre = points.mean(axis=0) + rng.uniform(-4, 4, size=3)
    centre = centre - normal * (centre @ normal) + normal * start
    affine = np.eye(4)
    affine[:3, 0], affine[:3, 1], affine[:3, 2] = row * pixel, col * pixel, normal * between
    affine[:3, 3] = centre - (row + col) * pixel * (matrix - 1) / 2
    return SeriesGeometry(
        affine=affine,
        shape=(n_slices, matrix, matrix),
        thickness_mm=thickness,
        spacing_between_mm=between,
        acquired_matrix=kind.acquired_matrix or matrix,
    )
