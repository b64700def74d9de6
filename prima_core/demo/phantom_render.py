"""Acquire one series of the phantom: slice profile, sampling, coil bias, noise, stored values.

The noiseless image of a contrast lives on the 1.5 mm phantom grid in template space. A series
blurs it across the slice (a slice profile as wide as the slice is thick), samples it trilinearly
at the series' voxel centres through the head pose, multiplies a smooth coil-sensitivity field,
and adds noise as an MR magnitude image has it: the modulus of the signal plus complex Gaussian
noise (Rician; Rayleigh in the air around the head). Values are stored as unsigned 16-bit
integers at a scale that differs from series to series, as on real scanners.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from prima_core.demo.phantom_acquisition import Pose, SeriesGeometry, SeriesKind
from prima_core.demo.phantom_contrast import Contrast, signal
from prima_core.demo.phantom_template import Template

_SWAP = np.array([[0, 0, 1, 0], [0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]], dtype=np.float64)


@dataclass(frozen=True)
class RenderedSeries:
    """Stored pixel values of one series and the facts its DICOM files need."""

    kind: SeriesKind
    geometry: SeriesGeometry
    pixels: np.ndarray  # uint16, (nk, nj, ni)
    window: tuple[float, float]  # (center, width)


def sample(
    volume: np.ndarray, template: Template, pose: Pose, affine: np.ndarray, shape: tuple[int, int, int]
) -> np.ndarray:
    """Trilinear samples of a phantom-grid ``volume`` at the voxel centres of a series grid."""
    ijk_to_template = np.linalg.inv(template.affine) @ pose.to_template() @ affine
    m = _SWAP @ ijk_to_template @ _SWAP  # (k, j, i) -> (kt, jt, it)
    return ndi.affine_transform(
        volume,
        m[:3, :3],
        offset=m[:3, 3],
        output_shape=shape,
        order=1,
        mode="constant",
        cval=0.0,
        prefilter=False,
    )


def _slice_profile(volume: np.ndarray, pose: Pose, geometry: SeriesGeometry, step: float) -> np.ndarray:
    """Blur across the slice (and in-plane at the acquired resolution) along the nearest grid axes."""
    to_template = pose.to_template()[:3, :3]
    out = volume
    widths = (geometry.pixel_spacing * geometry.shape[2] / geometry.acquired_matrix,) * 2
    for column, fwhm in zip(range(3), (*widths, geometry.thickness_mm), strict=True):
        direction = to_template @ geometry.affine[:3, column]
        axis = 2 - int(np.argmax(np.abs(direction)))  # template x, y, z -> array axes 2, 1, 0
        sigma = fwhm / 2.355 / step
        if sigma > 0.35:
            out = ndi.gaussian_filter1d(out, sigma, axis=axis, mode="constant", truncate=2.5)
    return out


def _bias(shape: tuple[int, int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A smooth coil-sensitivity field, separable along k, j, i (so applying it costs two products).

    Along each axis the log-gain is a random quadratic over the field of view: a gentle tilt
    (+-8 %) and a slightly brighter periphery, as multichannel head coils give.
    """
    factors = []
    for n in shape:
        u = np.linspace(-1.0, 1.0, n, dtype=np.float32)
        tilt, bowl = rng.normal(0.0, 0.05), rng.normal(0.05, 0.03)
        factors.append(np.exp(np.float32(tilt) * u + np.float32(bowl) * u * u).astype(np.float32))
    return factors[0][:, None, None], factors[1][None, :, None], factors[2][None, None, :]


def render_series(
    *,
    kind: SeriesKind,
    geometry: SeriesGeometry,
    image: np.ndarray,
    head: np.ndarray,
    template: Template,
    pose: Pose,
    rng: np.random.Generator,
) -> RenderedSeries:
    """Acquire ``image`` (the contrast's noiseless phantom-grid image) with ``geometry``."""
    step = float(template.affine[0, 0])
    blurred = _slice_profile(image, pose, geometry, step)
    factor = geometry.shape[2] // geometry.acquired_matrix
    affine, shape = _acquired_grid(geometry, factor)
    values = sample(blurred, template, pose, affine, shape)
    wm = signal("wm", kind.contrast)
    if kind.contrast is Contrast.ADC:
        inside = sample(head, template, pose, affine, shape) > 0.5
        values = 1000.0 * (values + rng.normal(0.0, kind.noise * wm, size=shape).astype(np.float32))
        values = np.where(inside, np.clip(values, 0.0, 4000.0), 0.0)
    else:
        bias_k, bias_j, bias_i = _bias(shape, rng)
        values *= bias_j * bias_i
        values *= bias_k
        sigma = np.float32(kind.noise * wm * rng.uniform(0.75, 1.35))
        real = values + sigma * rng.standard_normal(shape, dtype=np.float32)
        imag = sigma * rng.standard_normal(shape, dtype=np.float32)
        values = np.sqrt(real * real + imag * imag) * np.float32(rng.uniform(250.0, 500.0) / wm)
    if factor > 1:
        values = ndi.zoom(values, (1, factor, factor), order=1, grid_mode=True, mode="nearest")
    pixels = np.clip(np.rint(values), 0, 65535).astype(np.uint16)
    return RenderedSeries(kind=kind, geometry=geometry, pixels=pixels, window=_window(pixels, kind.contrast))


def _acquired_grid(geometry: SeriesGeometry, factor: int) -> tuple[np.ndarray, tuple[int, int, int]]:
    """The coarser grid a scanner acquires before interpolating to the stored matrix."""
    if factor <= 1:
        return geometry.affine, geometry.shape
    affine = geometry.affine.copy()
    affine[:3, :2] *= factor
    affine[:3, 3] += (geometry.affine[:3, 0] + geometry.affine[:3, 1]) * (factor - 1) / 2
    nk, nj, ni = geometry.shape
    return affine, (nk, nj // factor, ni // factor)


def _window(pixels: np.ndarray, contrast: Contrast) -> tuple[float, float]:
    """A display window from the head's intensities (background excluded).

    Diffusion images get a window around the brain's median so that normal brain is mid grey
    and restricted diffusion stands out white, as readers set them.
    """
    sample_values = pixels[:, ::4, ::4].ravel()
    head = sample_values[sample_values > 0.08 * np.percentile(sample_values, 99.5)]
    if head.size == 0:
        return 500.0, 1000.0
    if contrast is Contrast.DWI:
        middle = float(np.percentile(head, 60))
        return float(np.round(middle)), float(np.round(2.0 * middle))
    lo, hi = np.percentile(head, [1.0, 99.5])
    width = max(float(hi - lo), 1.0)
    return float(np.round(lo + width / 2)), float(np.round(width))
