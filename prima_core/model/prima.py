"""The whole Prima model in our layout: hierarchical ViT plus diagnosis/referral/priority heads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from torch import Tensor, nn

from prima_core.model.heads import HeadBank, HeadLoader
from prima_core.model.hier import HierarchicalViT
from prima_core.model.labels import LabelRef
from prima_core.model.spec import PRIORITY_HEAD, ModelSpec


@dataclass
class HeadValues:
    """Head outputs for one study as 0-d tensors (still in the autograd graph when grads are on)."""

    diagnosis: dict[str, Tensor]
    referral: dict[str, Tensor]
    priority: dict[str, Tensor]


class PrimaModel(nn.Module):
    """``visual`` (series tokens -> study embedding) and ``heads`` (embedding -> margins)."""

    def __init__(
        self,
        spec: ModelSpec,
        *,
        diagnoses: Sequence[LabelRef],
        referrals: Sequence[LabelRef],
        priority_levels: Sequence[str],
        head_loader: HeadLoader | None = None,
        head_budget_bytes: int = 1 << 30,
    ) -> None:
        super().__init__()
        self.spec = spec
        self.diagnoses = {label.name: label for label in diagnoses}
        self.referrals = {label.name: label for label in referrals}
        self.priority_levels = list(priority_levels)
        _check_labels(spec, [*diagnoses, *referrals], self.priority_levels)
        self.visual = HierarchicalViT(spec.visual)
        self.heads = HeadBank(spec.heads, loader=head_loader, budget_bytes=head_budget_bytes)

    def embed_series(self, series_tokens: Sequence[Tensor], series_names: Sequence[str]) -> Tensor:
        return self.visual.embed_series(series_tokens, series_names)

    def study_embedding_from_series_vectors(self, series_vectors: Tensor, study_description: str) -> Tensor:
        return self.visual.study_embedding_from_series_vectors(series_vectors, study_description)

    def heads_from_embedding(
        self,
        embedding: Tensor,
        *,
        diagnoses: Iterable[str] | None = None,
        referrals: Iterable[str] | None = None,
        priority: bool = True,
    ) -> HeadValues:
        """Margins of the named diagnoses/referrals (all when ``None``) and the priority scores."""
        wanted_d = [self.diagnoses[n] for n in (self.diagnoses if diagnoses is None else diagnoses)]
        wanted_r = [self.referrals[n] for n in (self.referrals if referrals is None else referrals)]
        head_ids = [label.head for label in (*wanted_d, *wanted_r)]
        if priority and self.priority_levels:
            head_ids.append(PRIORITY_HEAD)
        outputs = self.heads.run(embedding.float(), head_ids)
        values = HeadValues(
            diagnosis={d.name: outputs[d.head][..., d.column].float() - d.threshold for d in wanted_d},
            referral={r.name: outputs[r.head][..., r.column].float() - r.threshold for r in wanted_r},
            priority={},
        )
        if priority and self.priority_levels:
            scores = outputs[PRIORITY_HEAD].float()
            values.priority = {level: scores[..., i] for i, level in enumerate(self.priority_levels)}
        return values

    def visual_state(self) -> dict[str, Tensor]:
        """Flat ``visual.*`` tensors, the names a bundle stores."""
        return {f"visual.{k}": v for k, v in self.visual.state_dict().items()}

    def head_state(self) -> dict[str, Tensor]:
        """Flat ``heads.<id>.*`` tensors of resident heads."""
        return {f"heads.{k}": v for k, v in self.heads.resident.state_dict().items()}


def _check_labels(spec: ModelSpec, labels: Sequence[LabelRef], levels: list[str]) -> None:
    for label in labels:
        dims = spec.heads.get(label.head)
        if dims is None or not 0 <= label.column < dims[-1]:
            raise ValueError(
                f"label {label.name!r} reads a missing head output ({label.head}[{label.column}])"
            )
    if levels and spec.heads.get(PRIORITY_HEAD, [0])[-1] != len(levels):
        raise ValueError("the priority head does not have one output per priority level")
