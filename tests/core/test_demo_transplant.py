"""Lesion transplant and removal (demo training augmentation) on token vectors built by the pipeline."""

from __future__ import annotations

import numpy as np
import torch

from prima_core.demo.dataset_stats import STAT_BINS
from prima_core.demo.dataset_tokens import TokenizedStudy
from prima_core.demo.train_config import VitTrainConfig
from prima_core.demo.train_losses import AuxiliaryProbes, DemoLoss, Targets
from prima_core.demo.train_model import DIAGNOSIS_HEAD, REFERRAL_HEAD
from prima_core.demo.train_targets import diagnosis_names
from prima_core.demo.train_transplant import EDEMA, LesionMover, position_keys
from prima_core.demo.train_vit import LATENT_SIZE, alter
from prima_core.model.spec import PRIORITY_HEAD
from prima_core.pipeline.tokens import token_vectors

GLIOMA = "tumor_adult_high_grade_glioma"
NAMES = diagnosis_names()
# slice axis last: (2, 8, 8, 2) latents are oriented along the third axis
COORDS = np.array([[j * 32, i * 32, k * 4] for k in range(2) for j in range(8) for i in range(8)])


def _study(seed: int, labels: list[str], lesion: dict[str, list[int]], series=("AX_T1", "AX_FLAIR")):
    """One study whose series all cover the same 2 x 8 x 8 token grid; ``lesion`` marks rows."""
    g = torch.Generator().manual_seed(seed)
    vectors, lesions, bins, hists = [], [], [], []
    for _ in series:
        latents = torch.randn(len(COORDS), 2, 8, 8, 2, generator=g)
        vectors.append(token_vectors(latents, COORDS))
        flags = torch.zeros(len(COORDS), len(NAMES), dtype=torch.bool)
        for name, rows in lesion.items():
            flags[rows, NAMES.index(name)] = True
        lesions.append(flags)
        b = torch.randint(0, STAT_BINS, (len(COORDS), 3), generator=g)
        bins.append(b)
        hists.append(torch.zeros(3 * STAT_BINS))
    return TokenizedStudy(
        seed=seed,
        labels=labels,
        description="MRI BRAIN",
        series_names=list(series),
        vectors=vectors,
        lesions=lesions,
        bins=bins,
        histograms=torch.stack(hists),
    )


def _train():
    donor = _study(1, [EDEMA, GLIOMA, "structural_mass_effect"], {GLIOMA: [10, 11], EDEMA: [11, 12, 19]})
    normal = _study(2, [], {})
    return donor, normal


def _assert_tokens_from(out, source, series: int, rows) -> None:
    """``out``'s token at the position of each of ``source``'s ``rows`` is ``source``'s token."""
    by_key = dict(zip(position_keys(out.vectors[series], LATENT_SIZE), out.vectors[series], strict=True))
    for row in rows:
        key = position_keys(source.vectors[series][row : row + 1], LATENT_SIZE)[0]
        torch.testing.assert_close(by_key[key], source.vectors[series][row])


def test_transplant_pastes_the_lesion_tokens_at_their_positions():
    donor, normal = _train()
    mover = LesionMover([donor, normal], latent_size=LATENT_SIZE)
    altered = mover.transplant(normal, np.random.default_rng(0))
    assert altered is not None
    out = altered.study
    assert set(out.labels) == {GLIOMA, EDEMA}  # oedema comes along: the glioma is the donor's only lesion
    # mass effect is not carried by the moved tokens: masked, not taught as absent
    assert altered.known[NAMES.index("structural_mass_effect")] == 0
    assert altered.known[NAMES.index(GLIOMA)] == 1
    for s in range(2):
        assert len(out.vectors[s]) == len(COORDS)  # replaced in place, nothing duplicated
        keys = position_keys(out.vectors[s], LATENT_SIZE)
        assert len(set(keys)) == len(keys)
        _assert_tokens_from(out, donor, s, (10, 11, 12, 19))
        _assert_tokens_from(out, normal, s, (0, 40, 127))  # untouched tokens stay the recipient's
        assert int(out.lesions[s][:, NAMES.index(GLIOMA)].sum()) == 2
        counts = torch.stack([torch.bincount(out.bins[s][:, c], minlength=STAT_BINS) for c in range(3)])
        torch.testing.assert_close(out.histograms[s], (counts.float() / len(COORDS)).reshape(-1))
    assert normal.labels == [] and int(normal.lesions[0].sum()) == 0  # the training study is untouched


def test_removal_puts_normal_tokens_in_place_of_the_lesion():
    donor, normal = _train()
    mover = LesionMover([donor, normal], latent_size=LATENT_SIZE)
    altered = mover.remove(donor, np.random.default_rng(0))
    assert altered is not None
    out = altered.study
    assert out.labels == ["structural_mass_effect"]  # the deformation stays in the other tokens
    for s in range(2):
        assert len(out.vectors[s]) == len(COORDS) and not bool(out.lesions[s].any())
        _assert_tokens_from(out, normal, s, (10, 11, 12, 19))
    assert GLIOMA in donor.labels and bool(donor.lesions[0].any())


def test_no_transplant_of_a_finding_the_study_has_and_no_removal_without_one():
    donor, normal = _train()
    mover = LesionMover([donor, normal], latent_size=LATENT_SIZE)
    assert mover.transplant(donor, np.random.default_rng(0)) is None  # glioma is the only donor finding
    assert mover.remove(normal, np.random.default_rng(0)) is None


def test_masked_labels_do_not_enter_the_study_loss():
    donor, normal = _train()
    mover = LesionMover([donor, normal], latent_size=LATENT_SIZE)
    config = VitTrainConfig(transplant_p=1.0, remove_p=0.0)
    study, known = alter(normal, mover, config, np.random.default_rng(0))
    assert GLIOMA in study.labels and known.min() == 0
    targets = Targets.of([study], known=known[None])
    config = VitTrainConfig()
    probes = AuxiliaryProbes(config.width, config.inner_depth, config.series_dim, len(NAMES))
    demo_loss = DemoLoss([donor, normal], config, probes)
    logits = {
        DIAGNOSIS_HEAD: torch.zeros(1, len(NAMES)),
        REFERRAL_HEAD: torch.zeros(1, targets.referrals.shape[1]),
        PRIORITY_HEAD: torch.zeros(1, 4),
    }
    base = float(demo_loss.study_loss(logits, targets))
    logits[DIAGNOSIS_HEAD][0, NAMES.index("structural_mass_effect")] = 50.0
    # a confident mass-effect call costs nothing while that label is unknown ...
    assert float(demo_loss.study_loss(logits, targets)) == base
    # ... and a lot once it is known to be absent
    assert float(demo_loss.study_loss(logits, Targets.of([study]))) > base + 1.0
    plain, unchanged = alter(
        normal, mover, VitTrainConfig(transplant_p=0.0, remove_p=0.0), np.random.default_rng(0)
    )
    assert plain is normal and unchanged.min() == 1
