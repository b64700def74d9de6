"""How each tissue of the phantom looks in each MR contrast.

Signal values are relative (white matter on T1 is about 1) and follow textbook appearances at
1.5-3 T: on T1 white matter is brighter than grey matter and CSF is dark; on T2 CSF is bright;
FLAIR suppresses CSF so that oedema and plaques stand out; gadolinium brightens tumour, dura,
venous sinuses and choroid plexus on post-contrast T1; diffusion-weighted (b = 1000) images are
bright where diffusion is restricted, and the ADC map is dark there. ADC values are in units of
1e-3 mm^2/s. A voxel's signal is the fraction-weighted sum of its compartments' signals.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np


class Contrast(StrEnum):
    """The MR contrasts the phantom can simulate."""

    T1 = "T1"
    T2 = "T2"
    FLAIR = "FLAIR"
    T1_POST = "T1 post-contrast"
    DWI = "DWI"
    ADC = "ADC"
    SWI = "SWI"


_ORDER = (
    Contrast.T1,
    Contrast.T2,
    Contrast.FLAIR,
    Contrast.T1_POST,
    Contrast.DWI,
    Contrast.ADC,
    Contrast.SWI,
)

#                     T1    T2    FLAIR T1+C  DWI   ADC   SWI
SIGNAL: dict[str, tuple[float, ...]] = {
    "wm": (1.00, 0.40, 0.50, 1.00, 0.50, 0.72, 0.74),
    "gm": (0.66, 0.60, 0.74, 0.68, 0.62, 0.82, 0.58),
    "csf": (0.16, 1.00, 0.05, 0.17, 0.06, 3.00, 0.95),
    "bone": (0.03, 0.03, 0.03, 0.03, 0.02, 0.00, 0.02),
    "marrow": (1.10, 0.70, 0.75, 1.12, 0.04, 0.00, 0.50),
    "muscle": (0.55, 0.30, 0.38, 0.62, 0.16, 1.40, 0.38),
    "fat": (1.25, 0.92, 0.88, 1.25, 0.05, 0.00, 0.70),
    "skin": (0.72, 0.55, 0.55, 0.78, 0.14, 1.00, 0.50),
    "vitreous": (0.14, 1.05, 0.07, 0.15, 0.06, 2.90, 0.95),
    "lens": (0.55, 0.25, 0.30, 0.55, 0.05, 0.50, 0.30),
    "dura": (0.35, 0.30, 0.40, 0.85, 0.10, 0.80, 0.30),
    "sinus": (0.30, 0.06, 0.10, 1.40, 0.05, 0.00, 0.06),
    "choroid": (0.62, 0.85, 0.40, 1.35, 0.30, 1.50, 0.50),
    "cord": (0.90, 0.48, 0.58, 0.90, 0.50, 0.90, 0.70),
    "csf_spinal": (0.16, 1.00, 0.05, 0.17, 0.06, 3.00, 0.95),
    "disc": (0.45, 0.80, 0.45, 0.50, 0.30, 1.80, 0.50),
    # findings
    "edema": (0.64, 0.95, 1.12, 0.65, 0.64, 1.45, 0.80),
    "tumor_rim": (0.60, 0.70, 0.95, 1.55, 0.82, 0.80, 0.52),
    "necrosis": (0.28, 0.98, 0.80, 0.30, 0.18, 2.40, 0.85),  # proteinaceous: not suppressed on FLAIR
    "meningioma": (0.64, 0.64, 0.80, 1.65, 0.72, 0.78, 0.60),
    "metastasis": (0.60, 0.70, 0.95, 1.50, 0.76, 0.90, 0.58),
    "dural_tail": (0.40, 0.35, 0.45, 1.45, 0.15, 0.80, 0.35),
    "infarct": (0.52, 0.85, 1.02, 0.55, 1.55, 0.42, 0.74),
    "ms_plaque": (0.60, 1.00, 1.30, 0.61, 0.70, 1.15, 0.72),
    "ms_black_hole": (0.34, 1.05, 1.08, 0.35, 0.52, 1.70, 0.78),  # axonal loss: dark on T1
    "ms_active": (0.58, 1.00, 1.30, 1.40, 0.80, 1.05, 0.72),
    "gliosis": (0.76, 0.84, 1.08, 0.77, 0.56, 1.05, 0.72),
    "lacune": (0.18, 1.00, 0.10, 0.19, 0.08, 2.80, 0.92),  # CSF-filled cavity: FLAIR-suppressed
    "blood_acute": (0.62, 0.22, 0.35, 0.63, 0.30, 0.55, 0.05),
    "blood_early_subacute": (1.35, 0.28, 0.80, 1.36, 0.45, 0.60, 0.06),
    "blood_late_subacute": (1.35, 1.02, 1.15, 1.36, 0.80, 0.85, 0.14),
    "hemosiderin": (0.40, 0.10, 0.15, 0.40, 0.20, 0.50, 0.02),
    "sdh_acute": (0.66, 0.30, 0.55, 0.66, 0.35, 0.60, 0.08),
    "sdh_subacute": (1.22, 1.00, 1.22, 1.22, 0.70, 1.00, 0.20),
    "sdh_chronic": (0.38, 0.98, 0.62, 0.40, 0.15, 2.50, 0.85),  # proteinaceous: brighter than CSF on FLAIR,
    "bloom": (0.70, 0.70, 0.95, 0.70, 0.58, 1.20, 0.10),  # haemosiderin blooming: dark only on SWI
    "cyst": (0.16, 1.00, 0.05, 0.17, 0.06, 3.00, 0.95),  # CSF in every contrast
}


def signal(compartment: str, contrast: Contrast) -> float:
    """Relative signal of one compartment in one contrast."""
    return SIGNAL[compartment][_ORDER.index(contrast)]


def compose(fractions: dict[str, np.ndarray], contrast: Contrast, *, out: np.ndarray) -> np.ndarray:
    """Add the fraction-weighted signals of ``fractions`` into ``out`` (same shape) and return it."""
    for name, fraction in fractions.items():
        value = signal(name, contrast)
        if value:
            out += np.float32(value) * fraction
    return out
