"""Lesion transplant and removal: token-level augmentation that ties findings to their voxels.

The tokenizer encodes every 32 x 32 x 4 patch on its own, and the phantoms come with lesion masks,
so the tokens that touch a lesion can be moved between studies exactly as if the patches had
been cut out of one preprocessed series and pasted into the same place of another series of the
same name (same sequence and plane, same 256-grid position code):

* **transplant**: the lesion tokens of one localizing finding of a donor study replace the
  tokens at the same positions of a recipient study that lacks that finding; the recipient gains
  the finding (and oedema when the donor's oedema tokens come along);
* **removal**: the lesion tokens of a study's only localizing finding are replaced by the tokens
  at the same positions of a study without findings; the study loses the finding.

Global consequences that a token patch does not carry (mass effect, midline shift, ventricular
size) become *unknown* for the changed study: their study-level loss is masked. Why: with a few
hundred studies the ViT otherwise learns study-wide intensity distributions, whose evidence maps
do not point at the lesion; a finding that appears and disappears with its tokens can only be
learnt from those tokens. Training only; inference never sees an altered study.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch

from prima_core.demo.dataset_stats import STAT_BINS, STATS
from prima_core.demo.dataset_tokens import TokenizedStudy
from prima_core.demo.train_targets import FOCAL_LESIONS, diagnosis_names

EDEMA = "structural_edema"
# findings whose evidence is the lesion's own voxels (they come with masks): the focal lesions and
# the multifocal white-matter ones
LOCALIZING = (*FOCAL_LESIONS, "inflammatory_multiple_sclerosis", "vascular_ischemic_small_vessel_disease")
# study-wide consequences a moved patch does not carry: unknown after a transplant or removal
GLOBAL = ("structural_mass_effect", "structural_midline_shift", "ventricular_ventriculomegaly")


@dataclass
class Altered:
    """An altered study and which of its diagnosis labels are known (1) or masked (0)."""

    study: TokenizedStudy
    known: np.ndarray  # (n_findings,) float32


def position_keys(vectors: torch.Tensor, latent_size: int) -> list[bytes]:
    """One key per token: its position code and orientation one-hot (everything after the latent)."""
    tail = vectors[:, latent_size:].contiguous().numpy()
    return [row.tobytes() for row in tail]


def _histogram(bins: torch.Tensor) -> torch.Tensor:
    counts = torch.stack([torch.bincount(bins[:, s], minlength=STAT_BINS) for s in range(len(STATS))])
    return (counts.float() / max(len(bins), 1)).reshape(-1)


def _localizing_in(study: TokenizedStudy) -> list[str]:
    return [f for f in LOCALIZING if f in study.labels]


class LesionMover:
    """Builds transplanted and lesion-free variants of training studies."""

    def __init__(self, train: Sequence[TokenizedStudy], *, latent_size: int) -> None:
        self.train = list(train)
        self.latent_size = latent_size
        self.names = diagnosis_names()
        self.columns = {name: i for i, name in enumerate(self.names)}
        dense = [i for i, s in enumerate(self.train) if s.lesions is not None and s.bins is not None]
        self.donors = {
            f: [i for i in dense if f in self.train[i].labels and self._has_tokens(self.train[i], f)]
            for f in LOCALIZING
        }
        self.normals = [i for i in dense if not self.train[i].labels]

    def _has_tokens(self, study: TokenizedStudy, finding: str) -> bool:
        column = self.columns[finding]
        return any(bool(x[:, column].any()) for x in study.lesions or [])

    def _columns(self, study: TokenizedStudy, finding: str) -> list[int]:
        """Mask columns that move with ``finding``: its own, and oedema when it is the only lesion."""
        columns = [self.columns[finding]]
        if EDEMA in study.labels and _localizing_in(study) == [finding] and EDEMA in self.columns:
            columns.append(self.columns[EDEMA])
        return columns

    def _paste(
        self, target: TokenizedStudy, source: TokenizedStudy, pick: dict[str, torch.Tensor]
    ) -> TokenizedStudy:
        """Replace or add, per series of ``target``, the ``source`` tokens chosen in ``pick``."""
        assert target.lesions is not None and target.bins is not None
        assert source.lesions is not None and source.bins is not None
        vectors, lesions, bins = list(target.vectors), list(target.lesions), list(target.bins)
        histograms = target.histograms.clone() if target.histograms is not None else None
        for i, name in enumerate(target.series_names):
            chosen = pick.get(name)
            if chosen is None or not bool(chosen.any()):
                continue
            j = source.series_names.index(name)
            moved = torch.nonzero(chosen).flatten()
            keys = set(position_keys(source.vectors[j][moved], self.latent_size))
            stay = torch.tensor(
                [k not in keys for k in position_keys(vectors[i], self.latent_size)], dtype=torch.bool
            )
            vectors[i] = torch.cat([vectors[i][stay], source.vectors[j][moved]])
            lesions[i] = torch.cat([lesions[i][stay], source.lesions[j][moved]])
            bins[i] = torch.cat([bins[i][stay], source.bins[j][moved]])
            if histograms is not None:
                histograms[i] = _histogram(bins[i])
        return replace(target, vectors=vectors, lesions=lesions, bins=bins, histograms=histograms)

    def _known(self, study: TokenizedStudy) -> np.ndarray:
        known = np.ones(len(self.names), dtype=np.float32)
        for name in GLOBAL:
            if name in self.columns and name not in study.labels:
                known[self.columns[name]] = 0.0
        return known

    def transplant(self, recipient: TokenizedStudy, rng: np.random.Generator) -> Altered | None:
        """``recipient`` plus one localizing finding it lacks, taken from a random donor."""
        if recipient.lesions is None or recipient.bins is None:
            return None
        options = [f for f, d in self.donors.items() if d and f not in recipient.labels]
        if not options:
            return None
        finding = options[int(rng.integers(len(options)))]
        donor = self.train[int(rng.choice(self.donors[finding]))]
        columns = self._columns(donor, finding)
        assert donor.lesions is not None
        pick = {
            name: donor.lesions[j][:, columns].any(1)
            for j, name in enumerate(donor.series_names)
            if name in recipient.series_names
        }
        if not any(bool(p.any()) for p in pick.values()):
            return None
        study = self._paste(recipient, donor, pick)
        gained = {finding} | ({EDEMA} if len(columns) > 1 else set())
        study = replace(study, labels=sorted(set(recipient.labels) | gained))
        return Altered(study, self._known(recipient))

    def remove(self, study: TokenizedStudy, rng: np.random.Generator) -> Altered | None:
        """``study`` without its only localizing finding: those tokens come from a normal study."""
        present = _localizing_in(study)
        if len(present) != 1 or study.lesions is None or study.bins is None or not self.normals:
            return None
        finding = present[0]
        # a normal study sharing as many series as possible, so few lesion tokens are only dropped
        shared = [len(set(study.series_names) & set(self.train[i].series_names)) for i in self.normals]
        best = [i for i, n in zip(self.normals, shared, strict=True) if n == max(shared)]
        normal = self.train[int(rng.choice(best))]
        columns = self._columns(study, finding)
        flags = {i: x[:, columns].any(1) for i, x in enumerate(study.lesions)}
        keys = {
            name: set(position_keys(study.vectors[i][flags[i]], self.latent_size))
            for i, name in enumerate(study.series_names)
        }
        cleaned = _drop_tokens(study, flags)
        # the normal study's tokens at the lesion's positions take the lesion tokens' places (a
        # series the normal study lacks just loses them, as background patches are never kept)
        pick = {
            name: torch.tensor(
                [k in keys[name] for k in position_keys(normal.vectors[j], self.latent_size)],
                dtype=torch.bool,
            )
            for j, name in enumerate(normal.series_names)
            if name in keys
        }
        cleaned = self._paste(cleaned, normal, pick)
        lost = {finding} | ({EDEMA} if len(columns) > 1 else set())
        kept = [label for label in study.labels if label not in lost]
        return Altered(replace(cleaned, labels=kept), self._known(replace(study, labels=kept)))


def _drop_tokens(study: TokenizedStudy, drop: dict[int, torch.Tensor]) -> TokenizedStudy:
    """``study`` without the tokens flagged in ``drop`` (series index -> bool per token)."""
    assert study.lesions is not None and study.bins is not None
    vectors, lesions, bins = list(study.vectors), list(study.lesions), list(study.bins)
    histograms = study.histograms.clone() if study.histograms is not None else None
    for i, flags in drop.items():
        keep = ~flags
        if not bool(keep.any()):
            keep = torch.zeros_like(flags)
            keep[0] = True  # a series never becomes empty
        vectors[i], lesions[i], bins[i] = vectors[i][keep], lesions[i][keep], bins[i][keep]
        if histograms is not None:
            histograms[i] = _histogram(bins[i])
    return replace(study, vectors=vectors, lesions=lesions, bins=bins, histograms=histograms)
