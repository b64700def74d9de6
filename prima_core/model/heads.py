"""Diagnosis, referral and priority heads: small MLPs on the study embedding.

Several label names share one head (each reads its own output column), so heads are kept by
id and computed once per embedding. The released heads can be large (tens of them, each
10240 -> 4000 -> 1000 -> n), so a ``HeadBank`` keeps at most ``budget_bytes`` of head weights
in memory and reads the others from the bundle when they are needed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable

import torch
from torch import Tensor, nn

HeadLoader = Callable[[str], dict[str, Tensor]]


def build_head(dims: list[int]) -> nn.Sequential:
    """``Linear, ReLU, Linear, ReLU, ..., Linear`` with widths ``dims``."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:], strict=True)):
        if i:
            layers.append(nn.ReLU())
        layers.append(nn.Linear(a, b))
    return nn.Sequential(*layers)


def head_bytes(dims: list[int], *, element_size: int = 4) -> int:
    return element_size * sum(a * b + b for a, b in zip(dims[:-1], dims[1:], strict=True))


class HeadBank(nn.Module):
    """All heads of a model, by id; resident when they fit the budget, else read on demand.

    Parameters
    ----------
    dims
        Head id -> layer widths.
    loader
        Reads one head's state dict (names ``0.weight`` ...) from storage; ``None`` means the
        heads are built here with fresh parameters and always stay resident (training).
    budget_bytes
        Most head weight bytes kept in memory at once.
    """

    def __init__(
        self,
        dims: dict[str, list[int]],
        *,
        loader: HeadLoader | None = None,
        budget_bytes: int = 1 << 30,
    ) -> None:
        super().__init__()
        self.dims = {k: list(v) for k, v in dims.items()}
        self._loader = loader
        self._budget = budget_bytes
        self.resident = nn.ModuleDict()
        self._cache: OrderedDict[str, nn.Sequential] = OrderedDict()
        total = sum(head_bytes(d) for d in self.dims.values())
        if loader is None or total <= budget_bytes:
            for head_id, d in self.dims.items():
                self.resident[head_id] = self._build(head_id, d)

    @property
    def is_resident(self) -> bool:
        return len(self.resident) == len(self.dims)

    def _build(self, head_id: str, dims: list[int]) -> nn.Sequential:
        if self._loader is None:
            return build_head(dims)
        with torch.device("meta"):
            head = build_head(dims)
        head.load_state_dict(self._loader(head_id), strict=True, assign=True)
        return head.eval().requires_grad_(False)

    def head(self, head_id: str, device: torch.device) -> nn.Sequential:
        """The module of one head, on ``device`` (read from storage if not resident)."""
        if head_id in self.resident:
            resident: nn.Sequential = self.resident[head_id]  # type: ignore[assignment]
            return resident
        head = self._cache.pop(head_id, None)
        if head is None:
            head = self._build(head_id, self.dims[head_id]).to(device)
            self._shrink_cache(head_bytes(self.dims[head_id]))
        self._cache[head_id] = head
        return head

    def _shrink_cache(self, incoming: int) -> None:
        used = sum(head_bytes(self.dims[k]) for k in self._cache)
        while self._cache and used + incoming > self._budget:
            old, _ = self._cache.popitem(last=False)
            used -= head_bytes(self.dims[old])

    def run(self, embedding: Tensor, head_ids: Iterable[str]) -> dict[str, Tensor]:
        """Each listed head applied to ``embedding`` (..., in) -> (..., out), computed once."""
        outputs: dict[str, Tensor] = {}
        for head_id in head_ids:
            if head_id not in outputs:
                head = self.head(head_id, embedding.device)
                outputs[head_id] = head(embedding)
        return outputs
