"""What the demo model learns to say: findings, referrals and priority, all from a phantom's labels.

The demo findings are the phantom generator's labels (``finding_names()``, Prima's diagnosis
names). Referrals and priority are not drawn by the generator; they follow from the findings by
the fixed rules below (also in ``resources/demo_model/TRAINING.md``). They are a plausible
illustration of what such heads do, not clinical guidance.
"""

from __future__ import annotations

import numpy as np

from prima_core.demo.findings import finding_names

GLIOMA = "tumor_adult_high_grade_glioma"
METASTASIS = "tumor_adult_brain_metastasis"
MENINGIOMA = "tumor_adult_meningioma"

#: findings that are one focal lesion with a mask (the pointing game scores explanations on them)
FOCAL_LESIONS = (
    GLIOMA,
    MENINGIOMA,
    METASTASIS,
    "vascular_ischemic_large_vessel_stroke",
    "vascular_hemorrhagic_intracranial_hemorrhage",
    "trauma_subdural_hematoma",
    "cyst_arachnoid_cyst",
)

#: finding -> referrals it triggers
REFERRAL_RULES: dict[str, tuple[str, ...]] = {
    GLIOMA: ("neuro_oncology", "neurosurgery"),
    METASTASIS: ("neuro_oncology", "neurosurgery"),
    MENINGIOMA: ("neuro_oncology", "neurosurgery"),
    "trauma_subdural_hematoma": ("neurosurgery",),
    "vascular_hemorrhagic_intracranial_hemorrhage": ("neurosurgery", "stroke_neurology"),
    "structural_midline_shift": ("neurosurgery",),
    "structural_mass_effect": ("neurosurgery",),
    "vascular_ischemic_large_vessel_stroke": ("stroke_neurology",),
    "inflammatory_multiple_sclerosis": ("neurology",),
    "vascular_ischemic_small_vessel_disease": ("neurology",),
    "structural_cerebral_atrophy": ("neurology",),
    "ventricular_ventriculomegaly": ("neurology",),
}
REFERRALS = ("neurosurgery", "neuro_oncology", "stroke_neurology", "neurology")

PRIORITY_LEVELS = ("none", "low", "medium", "high")
#: finding -> priority level index; a study takes the highest of its findings (none when normal)
PRIORITY_RULES: dict[str, int] = {
    "vascular_hemorrhagic_intracranial_hemorrhage": 3,
    "trauma_subdural_hematoma": 3,
    "structural_midline_shift": 3,
    "vascular_ischemic_large_vessel_stroke": 3,
    GLIOMA: 2,
    METASTASIS: 2,
    "structural_mass_effect": 2,
    MENINGIOMA: 1,
    "structural_edema": 1,
    "inflammatory_multiple_sclerosis": 1,
    "ventricular_ventriculomegaly": 1,
    "cyst_arachnoid_cyst": 1,
    "vascular_ischemic_small_vessel_disease": 1,
    "structural_cerebral_atrophy": 1,
}


def diagnosis_names() -> list[str]:
    """The demo model's diagnosis columns, in head order."""
    return finding_names()


def finding_vector(labels: list[str]) -> np.ndarray:
    """0/1 per diagnosis column."""
    present = set(labels)
    return np.array([name in present for name in diagnosis_names()], dtype=np.float32)


def referral_vector(labels: list[str]) -> np.ndarray:
    """0/1 per referral, by ``REFERRAL_RULES``."""
    wanted = {r for label in labels for r in REFERRAL_RULES.get(label, ())}
    return np.array([r in wanted for r in REFERRALS], dtype=np.float32)


def priority_level(labels: list[str]) -> int:
    """Index into ``PRIORITY_LEVELS``: the most urgent finding's level, 0 for a normal study."""
    return max((PRIORITY_RULES.get(label, 1) for label in labels), default=0)
