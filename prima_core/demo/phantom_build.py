"""Build one subject's phantom brain with its findings, and read off the labels it shows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from prima_core.demo.findings import measured_labels, plan_findings
from prima_core.demo.findings_base import FindingPlan
from prima_core.demo.phantom_anatomy import Anatomy
from prima_core.demo.phantom_lesions import Lesion
from prima_core.demo.phantom_template import Template

BOOST_STEPS = 6  # attempts 0..5 grow the masses from their drawn size (boost 0) to the largest (1)
MAX_ATTEMPTS = 12  # further attempts draw the findings anew at the largest size


@dataclass
class BuiltPhantom:
    """The subject's anatomy, what it shows, and where."""

    anatomy: Anatomy
    plans: list[FindingPlan]
    lesions: list[Lesion]
    labels: list[str]


def _build_once(names: list[str], template: Template, rng: np.random.Generator, boost: float) -> BuiltPhantom:
    plans = plan_findings(names, template, rng, boost=boost)
    anat = Anatomy(template)
    # Normal variation between subjects: a little age-related volume loss, ventricle size.
    anat.atrophy(sulcal_mm=rng.uniform(0.0, 0.6))
    ventricle_mm = rng.uniform(-0.8, 0.8)
    sources = []
    for plan in plans:
        plan.reshape(anat, rng)
        sources += plan.sources()
        ventricle_mm += plan.ventricle_mm()
    anat.warp(sources, ventricle_mm=ventricle_mm)
    lesions = [lesion for plan in plans for lesion in plan.paint(anat, rng)]
    labels = set().union(*(plan.labels() for plan in plans)) | measured_labels(plans, anat)
    return BuiltPhantom(anatomy=anat, plans=plans, lesions=lesions, labels=sorted(labels))


def build_phantom(names: list[str], template: Template, seed: int) -> BuiltPhantom:
    """A phantom showing at least ``names``; bigger masses are tried when a measured label is missing.

    Measured labels (mass effect, midline shift, ventriculomegaly) appear only when the built
    phantom shows them; requesting one makes the masses larger until it does.
    """
    wanted = set(names)
    built = None
    for attempt in range(MAX_ATTEMPTS):
        rng = np.random.default_rng([seed, 1, attempt])
        built = _build_once(names, template, rng, boost=min(1.0, attempt / (BOOST_STEPS - 1)))
        if wanted <= set(built.labels):
            return built
    missing = sorted(wanted - set(built.labels)) if built else sorted(wanted)
    raise RuntimeError(f"could not build a phantom that shows {', '.join(missing)} (seed {seed})")
