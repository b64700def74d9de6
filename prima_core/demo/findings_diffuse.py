"""White-matter, vascular-territory and global findings: plaques, ischaemia, atrophy, big ventricles."""

from __future__ import annotations

import numpy as np

from prima_core.demo.findings_base import (
    EDEMA,
    VENTRICULOMEGALY,
    FindingPlan,
    edema_parts,
    region,
    side,
    volume_ml,
)
from prima_core.demo.phantom_anatomy import Anatomy, grid_box, grid_coords
from prima_core.demo.phantom_lesions import (
    Lesion,
    coords_full,
    ellipsoid_distance,
    frame_along,
    gradient_direction,
    irregular_blob,
    pick_point,
    smooth_noise,
    soft_inside,
)
from prima_core.demo.phantom_template import Template
from prima_core.demo.phantom_warp import MassSource


class _Foci:
    """Many small ellipsoidal lesions of one compartment."""

    def __init__(self) -> None:
        self.items: list[tuple[tuple[slice, slice, slice], np.ndarray, str]] = []

    def add(self, t: Template, center, radii, axis, compartment: str) -> None:
        radii = np.asarray(radii, np.float64)
        box = grid_box(t, center, radii.max() + 2.0)
        d = ellipsoid_distance(t, box, center, radii, frame_along(axis))
        self.items.append((box, soft_inside(d, 1.0, 1.5 / radii.min()), compartment))

    def paint(self, anat: Anatomy, finding: str) -> list[Lesion]:
        lesions = []
        for box, fraction, compartment in self.items:
            tissue = fraction * np.clip(anat.wm[box] + anat.gm[box] + 0.2, 0.0, 1.0)
            anat.paint(box, {compartment: tissue})
            lesions.append(Lesion(finding, box, tissue))
        return lesions


class MultipleSclerosis(FindingPlan):
    """Ovoid periventricular plaques perpendicular to the ventricles; juxtacortical, infratentorial ones."""

    name = "inflammatory_multiple_sclerosis"
    counts_as_mass = False

    def __init__(self, t: Template, rng: np.random.Generator, size: float) -> None:
        super().__init__(t, rng, size)
        z, y, x = coords_full(t)
        sites = {
            "peri": (t.ventricle_distance > 1.0) & (t.ventricle_distance < 6.0) & (t.wm > 0.6) & (z > -5),
            "juxta": (t.wm > 0.35) & (t.gm > 0.3) & (t.sulcal_distance > 1.5) & (t.depth > 6) & (z > -20),
            "infra": (t.wm > 0.6) & (z < -20) & (z > -48) & (np.abs(x) < 25),
        }
        self.foci = _Foci()
        self.count = 14 + int(20 * size)  # a moderate to high lesion load
        active = int(rng.random() < 0.6) + int(rng.random() < 0.25)
        for n in range(self.count):
            site = str(rng.choice(["peri", "juxta", "infra"], p=[0.6, 0.25, 0.15]))
            center = pick_point(t, sites[site], rng)
            if n < active:
                compartment = "ms_active"
            else:  # about a quarter of the chronic plaques are T1 "black holes"
                compartment = "ms_black_hole" if rng.random() < 0.25 else "ms_plaque"
            if site == "peri":  # Dawson's fingers: long axis (10-20 mm) along the ventricle's normal
                axis = gradient_direction(t, t.ventricle_distance, center)
                radii = np.array([rng.uniform(5.0, 10.0), rng.uniform(3.0, 5.0), rng.uniform(3.0, 5.0)])
            else:
                axis = rng.standard_normal(3)
                radii = np.array([rng.uniform(4.0, 7.0), rng.uniform(3.0, 5.5), rng.uniform(3.0, 5.5)])
            self.foci.add(t, center, radii, axis, compartment)

    def paint(self, anat: Anatomy, rng: np.random.Generator) -> list[Lesion]:
        return self.foci.paint(anat, self.name)

    def describe(self) -> str:
        return f"{self.count} demyelinating plaques: periventricular, juxtacortical, infratentorial"


class SmallVesselDisease(FindingPlan):
    """Periventricular caps and halo plus scattered deep white-matter foci (Fazekas 1-3)."""

    name = "vascular_ischemic_small_vessel_disease"
    counts_as_mass = False

    def __init__(self, t: Template, rng: np.random.Generator, size: float) -> None:
        super().__init__(t, rng, size)
        z, y, x = coords_full(t)
        self.grade = 2 + int(size > 0.4)  # Fazekas 2 (beginning confluence) or 3 (confluent)
        fits = (t.wm > 0.75) & (t.ventricle_distance > 8) & (t.sulcal_distance > 4) & (z > 5)
        self.foci = _Foci()
        for _ in range((16, 26)[self.grade - 2]):
            big = rng.random() < (0.3, 0.55)[self.grade - 2]
            radii = rng.uniform(4.5, 8.5, size=3) if big else rng.uniform(2.5, 5.0, size=3)
            self.foci.add(t, pick_point(t, fits, rng), radii, rng.standard_normal(3), "gliosis")
        # Lacunes: small CSF-filled cavities in the basal ganglia, thalami and deep white matter.
        deep = (t.depth > 28) & (np.abs(x) > 10) & (np.abs(x) < 30) & (z > -6) & (z < 16)
        deep &= t.gm + t.wm > 0.9
        self.lacunes = _Foci()
        self.lacune_count = int(rng.integers(2, 6))
        for _ in range(self.lacune_count):
            where = deep if rng.random() < 0.6 else fits
            centre = pick_point(t, where, rng)
            radii, axis = rng.uniform(1.8, 3.5, size=3), rng.standard_normal(3)
            self.foci.add(t, centre, radii + 1.5, axis, "gliosis")  # the gliotic rim around the cavity
            self.lacunes.add(t, centre, radii, axis, "lacune")
        self.cap_mm = 4.0 + 3.0 * self.grade

    def paint(self, anat: Anatomy, rng: np.random.Generator) -> list[Lesion]:
        t = anat.template
        box = grid_box(t, np.array([0.0, 8.0, 12.0]), 62.0)
        z, y, x = grid_coords(t, box)
        horns = np.clip(np.maximum(-(y + 5.0), y - 30.0) / 8.0, 0.0, 1.0)  # frontal and occipital horns
        reach = self.cap_mm * (0.35 + 0.65 * horns) * (1.0 if self.grade > 1 else horns)
        band = soft_inside(anat.ventricle_distance[box], reach, 1.5) * (anat.ventricle_distance[box] > -0.5)
        halo = band * anat.wm[box] * (z > -8.0)
        anat.paint(box, {"gliosis": halo})
        lesions = [Lesion(self.name, box, halo)] + self.foci.paint(anat, self.name)
        return lesions + self.lacunes.paint(anat, self.name)

    def describe(self) -> str:
        return (
            f"white-matter hyperintensities of presumed small-vessel origin, Fazekas {self.grade}, "
            f"{self.lacune_count} lacunes"
        )


class LargeVesselStroke(FindingPlan):
    """Acute territorial infarct (MCA, ACA or PCA): a cortical-subcortical wedge, bright on DWI."""

    name = "vascular_ischemic_large_vessel_stroke"
    TERRITORIES = {  # apex (patient's right side), axis towards the cortex, half-angle range (deg)
        "MCA": ((-20.0, -2.0, -6.0), (-1.0, 0.0, 0.25), (16.0, 40.0)),
        "ACA": ((-5.0, -28.0, 0.0), (-0.05, 0.45, 0.9), (18.0, 28.0)),
        "PCA": ((-12.0, 22.0, -6.0), (-0.25, 1.0, 0.1), (20.0, 34.0)),
    }

    def __init__(self, t: Template, rng: np.random.Generator, size: float) -> None:
        super().__init__(t, rng, size)
        self.territory = str(rng.choice(["MCA", "MCA", "MCA", "ACA", "PCA"]))
        apex, axis, half = (np.array(v, np.float64) for v in self.TERRITORIES[self.territory])
        flip = np.array([rng.choice([-1.0, 1.0]), 1.0, 1.0])
        self.apex, axis = apex * flip, axis * flip
        yaw, pitch = np.radians(rng.uniform(-25, 25)), np.radians(rng.uniform(-12, 20))
        axis = axis + np.array([0.0, np.sin(yaw), np.sin(pitch)]) * np.linalg.norm(axis)
        self.axis = axis / np.linalg.norm(axis)
        self.half = np.radians(half[0] + (half[1] - half[0]) * size)
        self.box = grid_box(t, self.apex + self.axis * 55.0, 62.0)
        z, y, x = grid_coords(t, self.box)
        v = np.stack(np.broadcast_arrays(x - self.apex[0], y - self.apex[1], z - self.apex[2]))
        r = np.sqrt((v**2).sum(axis=0)) + 1e-3
        angle = np.arccos(np.clip(np.tensordot(self.axis, v, axes=1) / r, -1, 1))
        angle = (
            angle
            + 0.1 * smooth_noise(angle.shape, rng, scale_mm=25.0)
            + 0.08 * smooth_noise(angle.shape, rng, scale_mm=9.0)
        )
        same_side = x * np.sign(self.apex[0]) > 1.0
        self.wedge = (
            soft_inside(angle, self.half, 0.12) * soft_inside(-r, -rng.uniform(6, 16), 3.0) * same_side
        )
        self.volume_mm3 = volume_ml(t, self.wedge * (t.gm + t.wm)[self.box]) * 1000.0

    def sources(self) -> list[MassSource]:
        if self.volume_mm3 < 60_000:
            return []
        centre = self.apex + self.axis * 45.0
        return [MassSource(tuple(centre), 0.12 * self.volume_mm3)]

    def paint(self, anat: Anatomy, rng: np.random.Generator) -> list[Lesion]:
        # 85 % of the tissue: some grey-white pattern still shows through the swollen territory.
        infarct = 0.85 * self.wedge * (anat.gm[self.box] + anat.wm[self.box])
        anat.paint(self.box, {"infarct": infarct})
        return [Lesion(self.name, self.box, infarct)]

    def describe(self) -> str:
        return f"acute {side(self.apex)} {self.territory} territory infarct ({self.volume_mm3 / 1000:.0f} mL)"


class Ventriculomegaly(FindingPlan):
    """Enlarged ventricles (communicating hydrocephalus pattern) without sulcal widening."""

    name = VENTRICULOMEGALY
    counts_as_mass = False

    def __init__(self, t: Template, rng: np.random.Generator, size: float) -> None:
        super().__init__(t, rng, size)
        self.swelling_mm = 5.0 + 4.0 * size  # Evans index about 0.33-0.45

    def labels(self) -> set[str]:
        return set()  # measured on the built phantom (ventricular volume), like mass effect

    def ventricle_mm(self) -> float:
        return self.swelling_mm

    def describe(self) -> str:
        return "enlarged lateral ventricles out of proportion to the sulci"


class CerebralAtrophy(FindingPlan):
    """Generalised volume loss: widened sulci, thinner cortex, ex-vacuo ventricular enlargement."""

    name = "structural_cerebral_atrophy"
    counts_as_mass = False

    def __init__(self, t: Template, rng: np.random.Generator, size: float) -> None:
        super().__init__(t, rng, size)
        self.sulcal_mm = 2.2 + 2.0 * size
        # Ex-vacuo enlargement; the larger ones pass the ventriculomegaly threshold (measured label).
        self.swelling_mm = 1.2 + 2.3 * size

    def ventricle_mm(self) -> float:
        return self.swelling_mm

    def reshape(self, anat: Anatomy, rng: np.random.Generator) -> None:
        patchy = 1.0 + 0.35 * smooth_noise(anat.gm.shape, rng, scale_mm=45.0)
        anat.atrophy(sulcal_mm=self.sulcal_mm * patchy)

    def describe(self) -> str:
        return "generalised cerebral volume loss with sulcal widening and ex-vacuo ventricular enlargement"


class VasogenicEdema(FindingPlan):
    """White-matter oedema on its own (e.g. a posterior reversible pattern), no enhancing lesion."""

    name = EDEMA
    counts_as_mass = False

    def __init__(self, t: Template, rng: np.random.Generator, size: float) -> None:
        super().__init__(t, rng, size)
        z, y, x = coords_full(t)
        self.center = pick_point(t, (t.wm > 0.8) & (t.depth > 15) & (z > 0) & (t.ventricle_distance > 8), rng)
        self.radius = 12.0 + 14.0 * size
        self.box, d, _ = irregular_blob(t, self.center, self.radius, rng, roughness=0.35, margin=6.0)
        self.profile = soft_inside(d, 1.0, 0.3)

    def paint(self, anat: Anatomy, rng: np.random.Generator) -> list[Lesion]:
        edema = edema_parts(anat, self.box, self.profile)
        anat.paint(self.box, {"edema": edema})
        return [Lesion(self.name, self.box, edema)]

    def describe(self) -> str:
        return f"{side(self.center)} {region(self.center)} white-matter vasogenic oedema"
