"""A 3D image placed in patient space."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Volume:
    """A voxel array and the affine that places it in patient LPS millimetres.

    Conventions (the same everywhere in the project):

    * ``array`` has shape ``(nk, nj, ni)``: slowest axis first, as numpy stores it.
      For a DICOM stack ``i`` runs along the columns, ``j`` along the rows and ``k``
      along the slices, sorted by position along the slice normal.
    * ``affine`` maps the column vector ``(i, j, k, 1)`` to ``(x, y, z, 1)`` in patient
      LPS millimetres (x towards the patient's Left, y Posterior, z Superior). Note the
      index order: ``array[k, j, i]`` is the voxel at ``affine @ (i, j, k, 1)``.
    * ``metadata`` holds free-form, JSON-serializable facts (window, units, source).
    """

    array: np.ndarray
    affine: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.affine = np.asarray(self.affine, dtype=np.float64)
        if self.array.ndim != 3:
            raise ValueError(f"a Volume needs a 3D array, got shape {self.array.shape}")
        if self.affine.shape != (4, 4):
            raise ValueError(f"a Volume needs a 4x4 affine, got shape {self.affine.shape}")

    @property
    def shape_ijk(self) -> tuple[int, int, int]:
        """Size along (i, j, k)."""
        nk, nj, ni = self.array.shape
        return ni, nj, nk

    @property
    def spacing(self) -> np.ndarray:
        """Voxel size in mm along (i, j, k)."""
        return np.linalg.norm(self.affine[:3, :3], axis=0)

    @property
    def direction(self) -> np.ndarray:
        """3x3 matrix whose columns are the unit LPS directions of the i, j, k axes."""
        return self.affine[:3, :3] / self.spacing

    @property
    def origin(self) -> np.ndarray:
        """LPS position (mm) of voxel (0, 0, 0)."""
        return self.affine[:3, 3].copy()

    def index_to_lps(self, ijk: np.ndarray) -> np.ndarray:
        """Map continuous voxel indices ``(..., 3)`` in (i, j, k) order to LPS mm."""
        ijk = np.asarray(ijk, dtype=np.float64)
        return ijk @ self.affine[:3, :3].T + self.affine[:3, 3]

    def lps_to_index(self, lps: np.ndarray) -> np.ndarray:
        """Map LPS mm points ``(..., 3)`` to continuous (i, j, k) voxel indices."""
        lps = np.asarray(lps, dtype=np.float64)
        inv = np.linalg.inv(self.affine)
        return lps @ inv[:3, :3].T + inv[:3, 3]

    def center_lps(self) -> np.ndarray:
        """LPS position of the centre of the voxel grid."""
        return self.index_to_lps((np.array(self.shape_ijk, dtype=np.float64) - 1) / 2)

    def corners_lps(self) -> np.ndarray:
        """The 8 corner voxel centres in LPS mm, shape (8, 3)."""
        ni, nj, nk = self.shape_ijk
        corners = np.array(
            [[i, j, k] for i in (0, ni - 1) for j in (0, nj - 1) for k in (0, nk - 1)], dtype=np.float64
        )
        return self.index_to_lps(corners)
