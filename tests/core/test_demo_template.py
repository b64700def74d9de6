"""The shipped MNI152 maps, their notice, and the head derived from them."""

from __future__ import annotations

import importlib.util

import nibabel as nib
import numpy as np
import pytest

from prima_core.demo.phantom_anatomy import Anatomy
from prima_core.demo.phantom_contrast import Contrast
from prima_core.demo.phantom_template import (
    TEMPLATE_FILES,
    load_template,
    rebuild_template_files,
    resource_dir,
)


def test_template_files_and_notice_are_shipped_small():
    folder = resource_dir()
    sizes = [(folder / name).stat().st_size for name in TEMPLATE_FILES.values()]
    assert sum(sizes) < 3_000_000
    notice = (folder / "MNI152_NOTICE.txt").read_text()
    assert "Copyright (C) 1993-2009 Louis Collins" in notice and "Fonov" in notice


def test_derived_head_has_plausible_tissue_volumes():
    t = load_template()
    ml = float(t.affine[0, 0]) ** 3 / 1000.0
    assert 600 < t.gm.sum() * ml < 1100 and 400 < t.wm.sum() * ml < 800  # probability-weighted
    assert 20 < t.ventricles.sum() * ml < 60
    assert 1800 < t.cavity.sum() * ml < 2300  # intracranial volume in (enlarged) MNI space
    assert t.fixed["bone"].sum() * ml > 150 and t.fixed["fat"].sum() * ml > 150


def test_contrasts_order_tissues_as_on_real_scanners():
    t = load_template()
    anat = Anatomy(t)
    wm, gm = t.wm > 0.95, t.gm > 0.9
    csf = (t.ventricles > 0.95) & (t.ventricle_distance < -1.5)
    mean = {
        c: [float(anat.signal(c)[m].mean()) for m in (wm, gm, csf)]
        for c in (Contrast.T1, Contrast.T2, Contrast.FLAIR)
    }
    assert mean[Contrast.T1][0] > mean[Contrast.T1][1] > mean[Contrast.T1][2]
    assert mean[Contrast.T2][2] > mean[Contrast.T2][1] > mean[Contrast.T2][0]
    assert mean[Contrast.FLAIR][1] > mean[Contrast.FLAIR][0] > mean[Contrast.FLAIR][2]


@pytest.mark.skipif(
    importlib.util.find_spec("nilearn") is None, reason="nilearn (development only) not installed"
)
def test_rebuild_from_nilearn_gives_the_shipped_maps(tmp_path):
    written = rebuild_template_files(out_dir=tmp_path)
    for path in written:
        shipped = nib.load(str(resource_dir() / path.name))
        rebuilt = nib.load(str(path))
        np.testing.assert_array_equal(np.asarray(shipped.dataobj), np.asarray(rebuilt.dataobj))
        np.testing.assert_allclose(shipped.affine, rebuilt.affine)
