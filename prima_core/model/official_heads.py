"""Heads and the top object of an official Prima checkpoint (see ``official_tree``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from prima_core.errors import CheckpointRefused
from prima_core.model.labels import LabelRef
from prima_core.model.official_tree import (
    PRIORITY_LEVELS,
    OfficialModel,
    _children,
    _linear,
    unwrap,
    visual_model,
)
from prima_core.model.safe_unpickle import InertCheckpoint, InertObject
from prima_core.model.spec import PRIORITY_HEAD, ModelSpec

_IGNORED_IN_HEADS = ("Dropout", "Identity")
TensorReader = Callable[[torch.Tensor], torch.Tensor]


def _mlp(head: Any, prefix: str, out: dict[str, torch.Tensor], where: str) -> list[int]:
    """``Sequential(Linear, ReLU, Linear, ..., Linear)`` -> widths; tensors go to ``out``."""
    head = unwrap(head)
    if not isinstance(head, InertObject) or head.kind != "Sequential":
        raise CheckpointRefused(f"not a Prima model: {where} is not a Sequential MLP")
    layers = [c for c in _children(head) if c.kind not in _IGNORED_IN_HEADS]
    kinds = [c.kind for c in layers]
    expected = ["Linear"] + ["ReLU", "Linear"] * ((len(layers) - 1) // 2)
    if kinds != expected:
        raise CheckpointRefused(f"{where}: unsupported head layers {kinds}")
    dims: list[int] = []
    for k, linear in enumerate(layers[::2]):
        fan_in, fan_out = _linear(linear, f"{prefix}.{2 * k}", out, where=where)
        if dims and dims[-1] != fan_in:
            raise CheckpointRefused(f"{where}: its layers do not connect")
        dims = dims or [fan_in]
        dims.append(fan_out)
    return dims


class _HeadTable:
    """Gives each distinct head object one id, so names that share a head share its weights."""

    def __init__(self, out: dict[str, torch.Tensor]) -> None:
        self.out = out
        self.dims: dict[str, list[int]] = {}
        self._ids: dict[int, str] = {}

    def add(self, head: Any, letter: str, where: str) -> str:
        key = id(unwrap(head))
        if key not in self._ids:
            head_id = f"{letter}{sum(i.startswith(letter) for i in self.dims):02d}"
            self.dims[head_id] = _mlp(head, f"heads.{head_id}", self.out, where)
            self._ids[key] = head_id
        return self._ids[key]


def _threshold(head: Any, where: str, read: TensorReader) -> float:
    for obj in (head, unwrap(head)):
        value = obj.member("thresh") if isinstance(obj, InertObject) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            return float(read(value) if value.device.type == "meta" else value)
    raise CheckpointRefused(f"{where} has no threshold ('thresh')")


def _labels(table: Any, heads: _HeadTable, letter: str, what: str, read: TensorReader) -> list[LabelRef]:
    if not isinstance(table, dict) or not table:
        raise CheckpointRefused(f"not a Prima model: no {what} heads ('{what}heads')")
    labels = []
    for name, entry in table.items():
        where = f"{what} head '{name}'"
        if not isinstance(entry, list | tuple) or len(entry) != 2 or not isinstance(entry[1], int):
            raise CheckpointRefused(f"{where} is not [head, column]")
        head_id = heads.add(entry[0], letter, where)
        if not 0 <= entry[1] < heads.dims[head_id][-1]:
            raise CheckpointRefused(
                f"{where} reads column {entry[1]} of a head with {heads.dims[head_id][-1]}"
            )
        labels.append(LabelRef(str(name), head_id, int(entry[1]), _threshold(entry[0], where, read)))
    return labels


def _visual_object(top: InertObject) -> InertObject:
    visual = unwrap(top.member("clipvisualmodel"))
    if not isinstance(visual, InertObject):
        clip = unwrap(top.member("clipmodel"))
        visual = unwrap(clip.member("visual_model")) if isinstance(clip, InertObject) else None
    if not isinstance(visual, InertObject):
        raise CheckpointRefused("not a Prima model: no visual model ('clipvisualmodel')")
    return visual


def read_official(checkpoint: InertCheckpoint) -> OfficialModel:
    """Spec, labels and tensor map of an official full model (``FullMRIModel``)."""
    top = unwrap(checkpoint.root)
    name = checkpoint.path.name
    if isinstance(top, dict):
        raise CheckpointRefused(
            f"{name} holds only a weights dictionary (state_dict), not the whole Prima model "
            "(expected the release's full model file, e.g. primafullmodel107.pt)"
        )
    if not isinstance(top, InertObject):
        raise CheckpointRefused(f"{name} does not hold a Prima model")
    tensors: dict[str, torch.Tensor] = {}
    visual = visual_model(_visual_object(top), tensors)
    if visual.series_names and visual.series_names.out_dim != visual.inner.dim:
        raise CheckpointRefused("the series-name encoder does not match the sequence ViT width")
    if visual.study_description and visual.study_description.out_dim != visual.outer.dim:
        raise CheckpointRefused("the study-description encoder does not match the study ViT width")
    heads = _HeadTable(tensors)
    read = checkpoint.read_tensor
    diagnoses = _labels(top.member("diagnosisheads"), heads, "d", "diagnosis", read)
    referrals = _labels(top.member("referralheads"), heads, "r", "referral", read)
    priority = top.member("priorityhead")
    if priority is None:
        raise CheckpointRefused("not a Prima model: no priority head ('priorityhead')")
    heads.dims[PRIORITY_HEAD] = _mlp(priority, f"heads.{PRIORITY_HEAD}", tensors, "priority head")
    levels = PRIORITY_LEVELS.get(heads.dims[PRIORITY_HEAD][-1])
    if levels is None:
        raise CheckpointRefused(
            f"the priority head has {heads.dims[PRIORITY_HEAD][-1]} outputs, 3 or 4 expected"
        )
    for head_id, dims in heads.dims.items():
        if dims[0] != visual.embedding_dim:
            raise CheckpointRefused(
                f"head {head_id} takes {dims[0]} inputs, the embedding has {visual.embedding_dim}"
            )
    spec = ModelSpec(visual=visual, heads=heads.dims)
    return OfficialModel(spec, diagnoses, referrals, levels, tensors)
