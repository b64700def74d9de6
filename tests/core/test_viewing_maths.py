"""Window presets, ROI statistics and thumbnails computed in the core for the viewer."""

import numpy as np
import pytest

from prima_core.geometry import PlaneGrid, ViewPlane, plane_grid, radiological_frame, slice_range
from prima_core.io.study import SequenceType
from prima_core.io.volume import Volume
from prima_core.measure import RoiShape, distance_mm, roi_stats
from prima_core.slices import middle_slice_thumbnail, native_plane, sample_plane
from prima_core.windowing import auto_window, intensity_profile, window_presets


def make_head(seed=0):
    """A 40x36x24 'head': noisy background 0-10, an ellipsoid of tissue ~500, a bright dot on the left."""
    rng = np.random.default_rng(seed)
    k, j, i = np.mgrid[0:24, 0:36, 0:40]
    inside = ((i - 20) / 16) ** 2 + ((j - 18) / 14) ** 2 + ((k - 12) / 10) ** 2 <= 1
    array = rng.uniform(0, 10, size=inside.shape) + inside * rng.normal(500, 20, size=inside.shape)
    array[12, 18, 30:33] = 2000  # patient's left (i grows towards L with an identity direction)
    affine = np.diag([1.0, 1.0, 2.0, 1.0])
    affine[:3, 3] = [-20, -18, -24]
    return Volume(array.astype(np.float32), affine)


def test_auto_window_is_percentiles_1_to_99():
    volume = make_head()
    profile = intensity_profile(volume)
    win = auto_window(profile)
    assert win.lower == pytest.approx(np.percentile(volume.array, 1), rel=0.05, abs=1)
    assert win.upper == pytest.approx(np.percentile(volume.array, 99), rel=0.05)


def test_sequence_presets_target_the_foreground():
    profile = intensity_profile(make_head())
    presets = window_presets(profile, sequence=SequenceType.FLAIR, dicom_window=(300.0, 600.0))
    names = [p.name for p in presets]
    assert names[0].startswith("FLAIR")
    assert "Auto (1-99 %)" in names and "DICOM" in names and names[-1] == "Full range"
    assert presets[0].window.lower > 300  # background air is not in the window
    assert window_presets(profile, sequence="no such sequence")[0].name == "Tissue"


def test_roi_stats_on_a_uniform_region():
    grid = PlaneGrid((-50.0, -50.0), 0.5, (201, 201))
    pixels = np.full((201, 201), 7.0)
    pixels[:, :20] = 1000
    stats = roi_stats(pixels, grid, shape=RoiShape.ELLIPSE, corner_a_uv=(-10, -5), corner_b_uv=(10, 5))
    assert stats.mean == pytest.approx(7.0) and stats.sd == pytest.approx(0.0)
    assert stats.area_mm2 == pytest.approx(np.pi * 10 * 5, rel=0.03)
    rect = roi_stats(pixels, grid, shape=RoiShape.RECTANGLE, corner_a_uv=(10, 5), corner_b_uv=(-10, -5))
    assert rect.area_mm2 == pytest.approx(20 * 10)
    assert roi_stats(pixels, grid, shape=RoiShape.ELLIPSE, corner_a_uv=(1, 1), corner_b_uv=(1, 1)) is None


def test_distance_mm():
    assert distance_mm([0, 0, 0], [3, 4, 12]) == pytest.approx(13.0)


def test_sample_plane_places_the_left_marker_on_screen_right():
    volume = make_head()
    frame = radiological_frame(ViewPlane.AXIAL, anchor=volume.center_lps())
    grid = plane_grid(volume, frame)
    depth = slice_range(volume, frame).snap(frame.to_view(volume.index_to_lps([31, 18, 12]))[2])
    pixels = sample_plane(volume, frame, grid, depth=depth, order=0)
    row, col = np.unravel_index(np.argmax(pixels), pixels.shape)
    assert col > grid.size[0] / 2  # patient's left is on the screen's right
    u, v = grid.pixel_to_uv(col, row)
    assert np.allclose(frame.to_lps([u, v, depth])[:2], volume.index_to_lps([31, 18, 12])[:2], atol=1.01)


def test_thumbnail_is_small_uint8_and_radiological():
    volume = make_head()
    assert native_plane(volume) is ViewPlane.AXIAL
    thumb = middle_slice_thumbnail(volume, size=32)
    assert thumb.dtype == np.uint8 and max(thumb.shape) <= 32
    assert thumb.shape[1] > thumb.shape[0]  # 40 mm wide, 36 mm tall
    assert thumb[:, thumb.shape[1] // 2 + 4 :].max() == 255  # the left marker, on the right


def test_presets_never_collapse_to_a_useless_window():
    array = np.zeros((10, 10, 10), dtype=np.float32)
    array[2:8, 2:8, 2:8] = 300.0
    array[4, 4, 4] = 1000.0
    profile = intensity_profile(Volume(array, np.eye(4)))
    for preset in window_presets(profile, sequence=SequenceType.T1):
        assert preset.window.width >= 0.02 * 1000, preset
    flat = intensity_profile(Volume(np.full((4, 4, 4), 7.0, dtype=np.float32), np.eye(4)))
    assert auto_window(flat).width > 0
