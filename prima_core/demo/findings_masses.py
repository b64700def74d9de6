"""Space-occupying findings: intra-axial tumours and haematoma, dural-based masses and collections."""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from prima_core.demo.findings_base import EDEMA, FindingPlan, edema_parts, region, side, volume_ml
from prima_core.demo.phantom_anatomy import Anatomy, grid_box, grid_coords
from prima_core.demo.phantom_lesions import (
    Lesion,
    coords_full,
    distance_to,
    irregular_blob,
    outward_normal,
    pick_point,
    smooth_noise,
    soft_inside,
    surface_points,
)
from prima_core.demo.phantom_template import Template
from prima_core.demo.phantom_warp import MassSource


def _surface_candidates(t: Template) -> np.ndarray:
    """Voxels just inside the inner table (where dural-based findings sit)."""
    return (t.depth > 0.0) & (t.depth < 2.5)


class _EnhancingTumour:
    """A tumour with an irregular enhancing wall, an optional necrotic core, and surrounding oedema."""

    def __init__(
        self, t: Template, rng, center, radius: float, necrotic: float, edema_mm: float, rough: float
    ):
        self.center, self.radius = center, radius
        self.box, d, _ = irregular_blob(t, center, radius, rng, roughness=rough, margin=edema_mm + 6.0)
        edge = 1.5 / radius
        self.tumor = soft_inside(d, 1.0, edge)
        inner = d * (1.0 + 0.2 * smooth_noise(d.shape, rng, scale_mm=radius * 0.5))
        self.necrosis = soft_inside(inner, necrotic, edge) if necrotic > 0 else np.zeros_like(d)
        beyond = (d - 1.0) * radius + 0.6 * edema_mm * smooth_noise(d.shape, rng, scale_mm=11.0)
        self.edema = soft_inside(beyond, edema_mm, 6.0) * (1.0 - self.tumor) * t.cavity[self.box]
        tissue = t.wm[self.box] + 0.3 * t.gm[self.box]
        self.volume_mm3 = volume_ml(t, self.tumor) * 1000.0
        self.edema_mm3 = volume_ml(t, self.edema * tissue) * 1000.0

    def source(self, tumour_share: float = 0.8, edema_share: float = 0.2) -> MassSource:
        return MassSource(tuple(self.center), tumour_share * self.volume_mm3 + edema_share * self.edema_mm3)

    def paint(self, anat: Anatomy, solid: str, finding: str) -> list[Lesion]:
        edema = edema_parts(anat, self.box, self.edema)
        wall = np.clip(self.tumor - self.necrosis, 0.0, 1.0)
        anat.paint(self.box, {solid: wall, "necrosis": self.necrosis, "edema": edema})
        lesions = [Lesion(finding, self.box, self.tumor)]
        if self.edema_mm3 > 1000.0:
            lesions.append(Lesion(EDEMA, self.box, edema))
        return lesions


class HighGradeGlioma(FindingPlan):
    """Intra-axial ring-enhancing mass with a necrotic centre and finger-like white-matter oedema."""

    name = "tumor_adult_high_grade_glioma"

    def __init__(self, t: Template, rng: np.random.Generator, size: float) -> None:
        super().__init__(t, rng, size)
        z, y, x = coords_full(t)
        fits = (
            (t.wm > 0.7)
            & (t.depth > 22)
            & (np.abs(x) > 24)
            & (z > -12)
            & (z < 50)
            & (t.ventricle_distance > 6)
        )
        center = pick_point(t, fits, rng)
        radius = 11.0 + 13.0 * size
        self.tumour = _EnhancingTumour(
            t, rng, center, radius, rng.uniform(0.62, 0.85), rng.uniform(7, 13) + 10 * size, rough=0.3
        )

    def labels(self) -> set[str]:
        return {self.name, EDEMA}

    def sources(self) -> list[MassSource]:
        return [self.tumour.source()]

    def paint(self, anat: Anatomy, rng: np.random.Generator) -> list[Lesion]:
        return self.tumour.paint(anat, "tumor_rim", self.name)

    def describe(self) -> str:
        c = self.tumour.center
        return (
            f"{side(c)} {region(c)} high-grade glioma ({2 * self.tumour.radius:.0f} mm), necrotic centre, "
            "ring enhancement, surrounding vasogenic oedema"
        )


class Metastases(FindingPlan):
    """Several small enhancing lesions at the grey-white junction, with disproportionate oedema."""

    name = "tumor_adult_brain_metastasis"

    def __init__(self, t: Template, rng: np.random.Generator, size: float) -> None:
        super().__init__(t, rng, size)
        z, y, x = coords_full(t)
        fits = (t.gm > 0.3) & (t.gm < 0.65) & (t.wm > 0.25) & (t.depth > 8) & (t.depth < 26) & (z > -50)
        self.tumours = []
        for _ in range(int(rng.integers(2, 5 + int(3 * size)))):
            radius = rng.uniform(3.0, 5.0 + 6.0 * size)
            necrotic = rng.uniform(0.4, 0.7) if radius > 6 and rng.random() < 0.7 else 0.0
            edema = rng.uniform(4, 18) * (0.5 + size)
            self.tumours.append(
                _EnhancingTumour(t, rng, pick_point(t, fits, rng), radius, necrotic, edema, 0.1)
            )

    def labels(self) -> set[str]:
        return {self.name, EDEMA} if any(m.edema_mm3 > 1000 for m in self.tumours) else {self.name}

    def sources(self) -> list[MassSource]:
        return [m.source() for m in self.tumours]

    def paint(self, anat: Anatomy, rng: np.random.Generator) -> list[Lesion]:
        return [lesion for m in self.tumours for lesion in m.paint(anat, "metastasis", self.name)]

    def describe(self) -> str:
        return f"{len(self.tumours)} enhancing metastases at the grey-white junction with oedema"


class _DuralDome(FindingPlan):
    """A smooth dome on the inner table of the skull (meningioma, arachnoid cyst)."""

    content = "meningioma"
    roughness = 0.06
    inset = (0.05, 0.35)  # how far (in radii) the centre lies inside the inner table

    def _build(self, t: Template, rng: np.random.Generator, anchor: np.ndarray, radius: float) -> None:
        self.anchor = anchor
        normal = outward_normal(t, anchor)
        self.center = anchor - normal * radius * rng.uniform(*self.inset)
        self.radius = radius
        self.box, d, self.radii = irregular_blob(
            t, self.center, radius, rng, roughness=self.roughness, margin=radius
        )
        self.body = soft_inside(d, 1.0, 1.5 / radius) * t.cavity[self.box]
        self.volume_mm3 = volume_ml(t, self.body) * 1000.0

    def sources(self) -> list[MassSource]:
        return [MassSource(tuple(self.anchor), self.volume_mm3, dural=True)]

    def paint(self, anat: Anatomy, rng: np.random.Generator) -> list[Lesion]:
        anat.paint(self.box, {self.content: self.body})
        return [Lesion(self.name, self.box, self.body)]


class Meningioma(_DuralDome):
    """Extra-axial dural-based mass with homogeneous enhancement and often a dural tail."""

    name = "tumor_adult_meningioma"
    inset = (0.3, 0.55)  # a broad-based mass bulging well into the cranial cavity

    def __init__(self, t: Template, rng: np.random.Generator, size: float) -> None:
        super().__init__(t, rng, size)
        z, y, x = coords_full(t)
        anchor = pick_point(t, _surface_candidates(t) & (z > -20) & (z < 75) & (np.abs(x) > 8), rng)
        self._build(t, rng, anchor, 11.0 + 15.0 * size)
        rho = distance_to(t, self.box, self.center)
        band = np.clip(1.0 - np.abs(t.depth[self.box] - 0.8) / 1.5, 0.0, 1.0)
        tail = self.radii.max() * (1.0 + rng.uniform(0.4, 0.8)) if rng.random() < 0.85 else 0.0
        self.tail = band * soft_inside(rho, tail, 4.0) * (1.0 - self.body)
        edema_mm = rng.uniform(6, 16) if rng.random() < 0.2 + 0.5 * size else 0.0
        beyond = rho - self.radii.mean() + 4.0 * smooth_noise(rho.shape, rng, scale_mm=10.0)
        self.edema = soft_inside(beyond, edema_mm, 5.0) * (1.0 - self.body) * (t.depth[self.box] > 3.0)
        self.edema_mm3 = volume_ml(t, self.edema * t.wm[self.box]) * 1000.0 if edema_mm else 0.0

    def labels(self) -> set[str]:
        return {self.name, EDEMA} if self.edema_mm3 > 1000 else {self.name}

    def paint(self, anat: Anatomy, rng: np.random.Generator) -> list[Lesion]:
        edema = edema_parts(anat, self.box, self.edema) if self.edema_mm3 else np.zeros_like(self.body)
        anat.paint(self.box, {"meningioma": self.body, "dural_tail": self.tail, "edema": edema})
        lesions = [Lesion(self.name, self.box, self.body)]
        return lesions + ([Lesion(EDEMA, self.box, edema)] if self.edema_mm3 > 1000 else [])

    def describe(self) -> str:
        edema = " with oedema of the adjacent brain" if self.edema_mm3 > 1000 else ""
        return f"{side(self.anchor)} {region(self.anchor)} meningioma ({2 * self.radius:.0f} mm){edema}"


class ArachnoidCyst(_DuralDome):
    """A sharply marginated extra-axial cyst that follows CSF in every contrast."""

    name = "cyst_arachnoid_cyst"
    counts_as_mass = False
    content = "cyst"
    roughness = 0.03
    SITES = {"middle cranial fossa": (42.0, -20.0, -28.0), "retrocerebellar": (8.0, 72.0, -44.0)}

    def __init__(self, t: Template, rng: np.random.Generator, size: float) -> None:
        super().__init__(t, rng, size)
        z, y, x = coords_full(t)
        self.site = "middle cranial fossa" if rng.random() < 0.75 else "retrocerebellar"
        target = np.array(self.SITES[self.site]) * [rng.choice([-1.0, 1.0]), 1.0, 1.0]
        near = (x - target[0]) ** 2 + (y - target[1]) ** 2 + (z - target[2]) ** 2 < 15.0**2
        radius = (15.0 + 15.0 * size) * (1.0 if self.site == "middle cranial fossa" else 0.8)  # 30-60 mm
        self._build(t, rng, pick_point(t, _surface_candidates(t) & near, rng), radius)

    def sources(self) -> list[MassSource]:
        # A slowly growing cyst displaces the adjacent cortex; the brain has adapted to most of it.
        return [MassSource(tuple(self.anchor), 0.7 * self.volume_mm3, dural=True)]

    def describe(self) -> str:
        return f"{side(self.anchor)} {self.site} arachnoid cyst ({2 * self.radius:.0f} mm)"


class IntracerebralHemorrhage(FindingPlan):
    """Intraparenchymal haematoma whose signal follows its age, dark on SWI, with an oedema rim."""

    name = "vascular_hemorrhagic_intracranial_hemorrhage"
    AGES = ("acute", "early_subacute", "late_subacute")

    def __init__(self, t: Template, rng: np.random.Generator, size: float) -> None:
        super().__init__(t, rng, size)
        z, y, x = coords_full(t)
        if rng.random() < 0.55:  # hypertensive: putamen or thalamus
            fits = (t.gm > 0.4) & (t.depth > 28) & (np.abs(x) > 12) & (np.abs(x) < 32) & (z > -6) & (z < 16)
        else:  # lobar
            fits = (t.wm > 0.4) & (t.depth > 10) & (t.depth < 28) & (z > 0)
        self.center = pick_point(t, fits, rng)
        self.radius = 10.0 + 12.5 * size  # 20-45 mm across
        self.age = str(rng.choice(self.AGES))
        self.box, d, _ = irregular_blob(t, self.center, self.radius, rng, roughness=0.25, margin=18.0)
        edge = 1.5 / self.radius
        self.clot = soft_inside(d, 1.0, edge)
        self.rim = (
            self.clot - soft_inside(d, 1.0 - 1.6 / self.radius, edge) if self.age == "late_subacute" else 0
        )
        beyond = (d - 1.0) * self.radius
        self.bloom = soft_inside(beyond, 2.0, 1.5) * (1.0 - self.clot)
        # Early subacute: methaemoglobin forms at the periphery first, the centre is still acute.
        core = soft_inside(d, 0.6, edge) if self.age == "early_subacute" else 0
        self.core = np.minimum(core, self.clot)
        self.edema = soft_inside(
            beyond + 2.0 * smooth_noise(d.shape, rng, scale_mm=8.0), rng.uniform(5, 12), 3.0
        )
        self.edema = self.edema * (1.0 - self.clot) * t.cavity[self.box]
        self.volume_mm3 = volume_ml(t, self.clot) * 1000.0
        self.edema_mm3 = volume_ml(t, self.edema * t.wm[self.box]) * 1000.0

    def labels(self) -> set[str]:
        return {self.name, EDEMA}

    def sources(self) -> list[MassSource]:
        return [MassSource(tuple(self.center), 0.9 * self.volume_mm3 + 0.3 * self.edema_mm3)]

    def paint(self, anat: Anatomy, rng: np.random.Generator) -> list[Lesion]:
        edema = edema_parts(anat, self.box, self.edema)
        bloom = np.minimum(self.bloom, edema)
        parts = {
            f"blood_{self.age}": self.clot - self.rim - self.core,
            "edema": edema - bloom,
            "bloom": bloom,
        }
        if self.age == "early_subacute":
            parts["blood_acute"] = self.core
        if self.age == "late_subacute":
            parts["hemosiderin"] = self.rim
        anat.paint(self.box, parts)
        return [Lesion(self.name, self.box, self.clot), Lesion(EDEMA, self.box, edema)]

    def describe(self) -> str:
        where = f"{side(self.center)} {region(self.center)}"
        return (
            f"{self.age.replace('_', ' ')} {where} intraparenchymal haematoma "
            f"({self.volume_mm3 / 1000:.0f} mL) with perihaematomal oedema"
        )


class SubduralHematoma(FindingPlan):
    """Crescentic extra-axial collection along the convexity; does not cross the midline."""

    name = "trauma_subdural_hematoma"
    AGES = ("acute", "subacute", "chronic")

    def __init__(self, t: Template, rng: np.random.Generator, size: float) -> None:
        super().__init__(t, rng, size)
        z, y, x = coords_full(t)
        self.anchor = pick_point(t, _surface_candidates(t) & (np.abs(x) > 35) & (z > 0) & (z < 50), rng)
        self.thickness = 8.0 + 12.0 * size
        self.age = str(rng.choice(self.AGES))
        extent = rng.uniform(35, 50) + 25.0 * size
        self.box = grid_box(t, self.anchor, extent + 5.0)
        rho = distance_to(t, self.box, self.anchor)
        profile = self.thickness * np.clip(1.0 - (rho / extent) ** 2, 0.0, 1.0) ** 0.6
        bz, by, bx = grid_coords(t, self.box)
        allowed = (bx * np.sign(self.anchor[0]) > 3.0) & ((bz > -12.0) | (by < 0.0))
        self.fraction = (
            soft_inside(t.depth[self.box], profile, 1.5) * t.cavity[self.box] * allowed * (profile > 0.5)
        )
        # Where the pushed brain leaves room under the collection, the blood fills it.
        self.footprint = soft_inside(t.depth[self.box], 1.6 * profile + 3.0, 2.0) * allowed * (profile > 0.5)
        self.volume_mm3 = volume_ml(t, self.fraction) * 1000.0
        points = surface_points(t, self.anchor, 0.8 * extent, 14, rng)
        weights = self.thickness * np.clip(
            1.0 - (np.linalg.norm(points - self.anchor, axis=1) / extent) ** 2, 0, 1
        )
        weights = weights / weights.sum()
        self._sources = [
            MassSource(tuple(p), w * self.volume_mm3, dural=True)
            for p, w in zip(points, weights, strict=True)
        ]

    def sources(self) -> list[MassSource]:
        return self._sources

    def paint(self, anat: Anatomy, rng: np.random.Generator) -> list[Lesion]:
        # The arachnoid bridges the sulci: the collection's inner margin follows the smoothed brain.
        tissue = ndi.gaussian_filter(anat.gm[self.box] + anat.wm[self.box], 2.0)
        room = np.clip(1.0 - 1.6 * tissue, 0.0, 1.0) * self.footprint
        blood = np.maximum(self.fraction, room) * anat.template.cavity[self.box]
        anat.paint(self.box, {f"sdh_{self.age}": blood})
        return [Lesion(self.name, self.box, blood)]

    def describe(self) -> str:
        return f"{self.age} {side(self.anchor)} convexity subdural haematoma, {self.thickness:.0f} mm thick"
