"""Render demo phantom studies to PNG to look at them (a development aid, not part of the product).

For each case a study is generated, read back through ``prima_core.io.open_studies`` like any
user folder, and drawn as one row per series: the native slice nearest the first lesion, then
axial, coronal and sagittal planes through the lesion centre (reformatted at 1 mm), with the
lesion's ground-truth mask outlined in red. Generation time per study is printed.

    .venv/bin/python scripts/demo_gallery.py --out /tmp/demo_gallery
    .venv/bin/python scripts/demo_gallery.py --case tumor_adult_meningioma:7 --case normal:3
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nibabel as nib  # noqa: E402
import numpy as np  # noqa: E402
from scipy import ndimage as ndi  # noqa: E402

from prima_core.demo.phantom_template import load_template  # noqa: E402
from prima_core.demo.study import generate_demo_study  # noqa: E402
from prima_core.io import open_studies  # noqa: E402

DEFAULT_CASES = (
    "tumor_adult_high_grade_glioma:1",
    "tumor_adult_meningioma:2",
    "tumor_adult_brain_metastasis:3",
    "vascular_ischemic_large_vessel_stroke:4",
    "vascular_hemorrhagic_intracranial_hemorrhage:5",
    "trauma_subdural_hematoma:6",
    "inflammatory_multiple_sclerosis:7",
    "vascular_ischemic_small_vessel_disease:8",
    "structural_cerebral_atrophy:9",
    "ventricular_ventriculomegaly:10",
    "cyst_arachnoid_cyst:11",
    "structural_edema:13",
    "structural_midline_shift:14",
    "normal:12",
)
ALL_SERIES = [
    "SAG T1",
    "AX T1",
    "AX T2 FSE",
    "AX FLAIR",
    "AX T1 POST",
    "COR T1 POST",
    "AX DWI B1000",
    "AX ADC",
    "AX SWI",
]
PLANES = {  # in-plane (u, v) directions in LPS for a picture with the patient's right on the left
    "axial": (np.array([1.0, 0, 0]), np.array([0, 1.0, 0])),
    "coronal": (np.array([1.0, 0, 0]), np.array([0, 0, -1.0])),
    "sagittal": (np.array([0, 1.0, 0]), np.array([0, 0, -1.0])),
}


def _plane_points(centre: np.ndarray, head: np.ndarray, plane: str, half: float = 110.0) -> np.ndarray:
    """1 mm grid of a plane through ``centre``, centred in-plane on ``head``."""
    u, v = PLANES[plane]
    normal = np.cross(u, v)
    origin = head + normal * ((centre - head) @ normal)
    s = np.arange(-half, half + 0.5, 1.0)
    return origin + s[None, :, None] * u + s[:, None, None] * v


def _sample(array: np.ndarray, lps_to_ijk, points: np.ndarray) -> np.ndarray:
    ijk = lps_to_ijk(points.reshape(-1, 3))
    coords = ijk[:, ::-1].T  # (k, j, i)
    out = ndi.map_coordinates(array.astype(np.float32), coords, order=1, cval=0.0, prefilter=False)
    return out.reshape(points.shape[:2])


def _mask_sampler(path: Path):
    image = nib.load(str(path))
    ras_to_ijk = np.linalg.inv(image.affine)
    data = np.asarray(image.dataobj).transpose(2, 1, 0).astype(np.float32)

    def lps_to_ijk(lps: np.ndarray) -> np.ndarray:
        ras = lps * np.array([-1.0, -1.0, 1.0])
        return ras @ ras_to_ijk[:3, :3].T + ras_to_ijk[:3, 3]

    return data, lps_to_ijk


def render_case(study_dir: Path, png: Path) -> None:
    truth = json.loads((study_dir / "ground_truth.json").read_text())
    series = open_studies(study_dir).studies[0].series
    lesion = truth["lesions"][0] if truth["lesions"] else None
    volumes = [s.load() for s in series]
    head = volumes[0].center_lps()
    centre = np.array(lesion["center_lps"]) if lesion else head
    mask = _mask_sampler(study_dir / lesion["mask"]) if lesion else None
    fig, axes = plt.subplots(len(series), 4, figsize=(13, 3.3 * len(series)), facecolor="black")
    for row, (s, vol) in enumerate(zip(series, volumes, strict=True)):
        center_w, width_w = s.window or (float(vol.array.mean()), float(vol.array.std() * 4))
        k = int(np.clip(np.round(vol.lps_to_index(centre)[2]), 0, vol.array.shape[0] - 1))
        panels = [("native", vol.array[k].astype(np.float32), None)]
        for plane in PLANES:
            pts = _plane_points(centre, head, plane)
            outline = None
            if mask is not None:
                outline = _sample(mask[0], mask[1], pts) >= 0.5
            panels.append((plane, _sample(vol.array, vol.lps_to_index, pts), outline))
        for col, (name, img, outline) in enumerate(panels):
            ax = axes[row, col]
            ax.imshow(img, cmap="gray", vmin=center_w - width_w / 2, vmax=center_w + width_w / 2)
            if outline is not None and outline.any():
                ax.contour(outline.astype(float), levels=[0.5], colors="red", linewidths=0.6)
            ax.set_title(f"{s.description} - {name}", color="white", fontsize=8)
            ax.axis("off")
    fig.suptitle(truth["description"] + "\n" + ", ".join(truth["findings"]), color="white", fontsize=9)
    fig.tight_layout()
    fig.savefig(png, dpi=70, facecolor="black")
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("out/demo_gallery"))
    parser.add_argument("--case", action="append", help="FINDING:SEED (or normal:SEED); repeatable")
    parser.add_argument("--keep", action="store_true", help="keep the generated DICOM studies")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    load_template()
    print(f"template loaded in {time.perf_counter() - started:.1f} s")
    work = Path(tempfile.mkdtemp(prefix="demo_gallery_"))
    for case in args.case or DEFAULT_CASES:
        name, seed = case.rsplit(":", 1)
        study_dir = work / f"{name}_{seed}"
        t0, c0 = time.perf_counter(), time.process_time()
        generate_demo_study(
            seed=int(seed), findings=[] if name == "normal" else [name], out_dir=study_dir, series=ALL_SERIES
        )
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        png = args.out / f"{name}_{seed}.png"
        render_case(study_dir, png)
        print(f"{case}: generated in {wall:.2f} s wall, {cpu:.2f} s CPU -> {png}")
        if args.keep:
            shutil.rmtree(args.out / study_dir.name, ignore_errors=True)  # never mix two runs' files
            shutil.copytree(study_dir, args.out / study_dir.name)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
