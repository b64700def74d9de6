"""The contract every phantom finding follows, and small helpers they share.

A finding is planned first (where, how big, from the template and the study's random
generator), which fixes the extra volume it pushes the brain with. The study then reshapes the
brain once for all findings together, and finally each finding paints its compartments into the
reshaped brain and returns its ground-truth lesions.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from prima_core.demo.phantom_anatomy import Anatomy, Box
from prima_core.demo.phantom_lesions import Lesion
from prima_core.demo.phantom_template import Template
from prima_core.demo.phantom_warp import MassSource

EDEMA = "structural_edema"
MASS_EFFECT = "structural_mass_effect"
MIDLINE_SHIFT = "structural_midline_shift"
VENTRICULOMEGALY = "ventricular_ventriculomegaly"


class FindingPlan:
    """One finding in one study. Subclasses set ``name`` and override what they need."""

    name: ClassVar[str]
    counts_as_mass: ClassVar[bool] = True  # whether its volume counts towards "mass effect"

    def __init__(self, template: Template, rng: np.random.Generator, size: float) -> None:
        self.template = template
        self.size = float(size)

    def labels(self) -> set[str]:
        """Labels this finding always carries (measured ones are added by the study)."""
        return {self.name}

    def sources(self) -> list[MassSource]:
        """Extra volume that pushes the surrounding brain."""
        return []

    def ventricle_mm(self) -> float:
        """How many mm the ventricles swell by (hydrocephalus, atrophy ex vacuo)."""
        return 0.0

    def reshape(self, anat: Anatomy, rng: np.random.Generator) -> None:
        """Changes to the whole brain made before the displacement (atrophy)."""

    def paint(self, anat: Anatomy, rng: np.random.Generator) -> list[Lesion]:
        """Draw the finding into the reshaped brain; return its ground-truth lesions."""
        return []

    def describe(self) -> str:
        return self.name.replace("_", " ")


def voxel_volume(template: Template) -> float:
    return float(template.affine[0, 0]) ** 3


def volume_ml(template: Template, fraction: np.ndarray) -> float:
    return float(fraction.sum()) * voxel_volume(template) / 1000.0


def side(point: np.ndarray) -> str:
    """The patient's side of an LPS point (+x is the patient's left)."""
    return "left" if point[0] > 0 else "right"


def region(point: np.ndarray) -> str:
    """A rough lobe name for a template LPS point (anterior is -y, superior +z)."""
    x, y, z = point
    if z < -28 and y > 15:
        return "cerebellar"
    if abs(x) < 32 and -8 < z < 20 and -10 < y < 30:
        return "deep (basal ganglia / thalamus)"
    if y > 55:
        return "occipital"
    if z < 8 and abs(x) > 30:
        return "temporal"
    if y < 0:
        return "frontal"
    return "parietal"


def edema_parts(anat: Anatomy, box: Box, profile: np.ndarray) -> np.ndarray:
    """Vasogenic oedema: ``profile`` (0..1) of the white matter; the cortex is mostly spared."""
    return (profile * (anat.wm[box] + 0.12 * anat.gm[box])).astype(np.float32)
