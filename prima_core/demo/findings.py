"""The findings a demo phantom can show, under Prima's diagnosis names, and how they co-occur.

Each name maps to a plan class that knows the finding's appearance in every contrast. Labels that
follow from the image (oedema, mass effect, midline shift, ventriculomegaly) are not asserted by
fiat: they are measured on the phantom after it is built, so a large glioma brings
``structural_mass_effect`` and, when the measured shift of the septum is 4 mm or more,
``structural_midline_shift``; the thinnest (8 mm) subdural haematoma brings mass effect but no shift.
Ventriculomegaly is the measured ventricular volume (>= 2x the template's): a hydrocephalus plan
always passes it, and a marked cerebral atrophy may pass it too through ex-vacuo enlargement,
so the two labels co-occur as they would in a report of such a scan.
"""

from __future__ import annotations

import numpy as np

from prima_core.demo.findings_base import EDEMA, MASS_EFFECT, MIDLINE_SHIFT, VENTRICULOMEGALY, FindingPlan
from prima_core.demo.findings_diffuse import (
    CerebralAtrophy,
    LargeVesselStroke,
    MultipleSclerosis,
    SmallVesselDisease,
    VasogenicEdema,
    Ventriculomegaly,
)
from prima_core.demo.findings_masses import (
    ArachnoidCyst,
    HighGradeGlioma,
    IntracerebralHemorrhage,
    Meningioma,
    Metastases,
    SubduralHematoma,
)
from prima_core.demo.phantom_anatomy import Anatomy
from prima_core.demo.phantom_template import Template

MASS_EFFECT_ML = 20.0  # pushing volume from which "mass effect" is reported
MIDLINE_SHIFT_MM = 4.0
VENTRICULOMEGALY_RATIO = 2.0  # ventricular volume relative to the template's (about 90 mL)

PLANS: dict[str, type[FindingPlan]] = {
    cls.name: cls
    for cls in (
        HighGradeGlioma,
        Meningioma,
        Metastases,
        VasogenicEdema,
        Ventriculomegaly,
        CerebralAtrophy,
        SmallVesselDisease,
        MultipleSclerosis,
        LargeVesselStroke,
        IntracerebralHemorrhage,
        SubduralHematoma,
        ArachnoidCyst,
    )
}
MEASURED_ONLY = (MASS_EFFECT, MIDLINE_SHIFT)  # need a mass to happen
MASS_HOSTS = ("tumor_adult_high_grade_glioma", "tumor_adult_meningioma", "trauma_subdural_hematoma",
              "vascular_hemorrhagic_intracranial_hemorrhage")  # fmt: skip
SHIFT_HOSTS = ("tumor_adult_high_grade_glioma", "trauma_subdural_hematoma",
               "vascular_hemorrhagic_intracranial_hemorrhage")  # fmt: skip


def finding_names() -> list[str]:
    """Every finding name a phantom can show (Prima's diagnosis names)."""
    return sorted([*PLANS, *MEASURED_ONLY])


def random_findings(rng: np.random.Generator) -> list[str]:
    """Findings for a random study: a quarter are normal, most others have one primary finding."""
    if rng.random() < 0.25:
        return []
    count = 1 if rng.random() < 0.75 else 2
    return sorted(rng.choice(sorted(PLANS), size=count, replace=False).tolist())


def plan_findings(
    names: list[str], template: Template, rng: np.random.Generator, *, boost: float
) -> list[FindingPlan]:
    """Plans for the requested names; a measured-only label gets a big mass to come from.

    ``boost`` (0..1) pushes sizes towards the large end; the study raises it when a requested
    measured label did not appear.
    """
    wanted = set(names)
    needs_mass = wanted & set(MEASURED_ONLY)
    primaries = [n for n in sorted(wanted) if n in PLANS]
    hosts = SHIFT_HOSTS if MIDLINE_SHIFT in wanted else MASS_HOSTS
    if needs_mass and not any(n in hosts for n in primaries):
        primaries.append(str(rng.choice(hosts)))
    plans = []
    for name in primaries:
        size = rng.uniform(0.0, 1.0)
        if needs_mass and name in hosts:
            size = max(size, 0.7 + 0.3 * boost)
        plans.append(PLANS[name](template, rng, size))
    return plans


def measured_labels(plans: list[FindingPlan], anat: Anatomy) -> set[str]:
    """Labels read off the built phantom: mass effect, midline shift, ventriculomegaly."""
    labels: set[str] = set()
    mass_ml = sum(s.volume_mm3 for p in plans if p.counts_as_mass for s in p.sources()) / 1000.0
    if anat.midline_shift_mm >= MIDLINE_SHIFT_MM:
        labels |= {MIDLINE_SHIFT, MASS_EFFECT}
    if mass_ml >= MASS_EFFECT_ML:
        labels.add(MASS_EFFECT)
    if anat.ventricle_ratio >= VENTRICULOMEGALY_RATIO:
        labels.add(VENTRICULOMEGALY)
    return labels


__all__ = [
    "EDEMA",
    "MASS_EFFECT",
    "MIDLINE_SHIFT",
    "PLANS",
    "VENTRICULOMEGALY",
    "finding_names",
    "measured_labels",
    "plan_findings",
    "random_findings",
]
