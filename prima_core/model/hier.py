"""The hierarchical ViT: series tokens -> series vectors -> study embedding."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from prima_core.model.names import NameEncoder
from prima_core.model.spec import VisualSpec
from prima_core.model.vit import ViT


class HierarchicalViT(nn.Module):
    """Sequence ViT per series (one batched pass), study ViT over the series vectors.

    * series: ``[cls x C_in, series-name code, token_1..token_n]`` -> cls outputs -> LayerNorm
      -> flatten -> ``series_head`` (Linear C_in*D -> E)
    * study: ``[cls x C_out, study-description code, series vectors]`` -> cls outputs ->
      LayerNorm -> flatten = study embedding (C_out * E)
    """

    def __init__(self, spec: VisualSpec) -> None:
        super().__init__()
        self.spec = spec
        self.inner = ViT(spec.inner, name="inner")
        self.series_head = nn.Linear(spec.inner.cls_count * spec.inner.dim, spec.series_dim)
        self.outer = ViT(spec.outer, name="outer")
        self.series_names = NameEncoder(spec.series_names, name="series_names") if spec.series_names else None
        self.study_description = (
            NameEncoder(spec.study_description, name="study_description") if spec.study_description else None
        )

    @property
    def token_width(self) -> int:
        return self.spec.token_width

    @property
    def model_width(self) -> int:
        return self.spec.inner.dim

    def embed_series(self, series_tokens: Sequence[Tensor], series_names: Sequence[str]) -> Tensor:
        """Token vectors (n_i, token_width) per series -> series vectors (n_series, E).

        All series run through the sequence ViT together, padded to the longest and masked.
        Tokens narrower than the model width are zero-padded on the right.
        """
        if len(series_tokens) == 0:
            raise ValueError("a study needs at least one series")
        if len(series_names) != len(series_tokens):
            raise ValueError("one series name per series is needed")
        device = self.inner.cls_token.device
        width = self.model_width
        extra = 1 if self.series_names is not None else 0
        lengths = torch.tensor([int(t.shape[0]) + extra for t in series_tokens], device=device)
        longest = int(lengths.max())
        name_vectors = self.series_names(list(series_names)) if self.series_names is not None else None
        rows = []
        for index, tokens in enumerate(series_tokens):
            tokens = tokens.to(device=device, dtype=torch.float32)
            if tokens.ndim != 2 or tokens.shape[1] > width:
                raise ValueError(f"series {index}: tokens must be (n, <= {width}), got {tuple(tokens.shape)}")
            parts = [] if name_vectors is None else [name_vectors[index : index + 1].float()]
            parts.append(nn.functional.pad(tokens, (0, width - tokens.shape[1])))
            row = torch.cat(parts, dim=0)
            rows.append(nn.functional.pad(row, (0, 0, 0, longest - row.shape[0])))
        pooled = self.inner(torch.stack(rows), lengths)
        return self.series_head(pooled)

    def study_embedding_from_series_vectors(self, series_vectors: Tensor, study_description: str) -> Tensor:
        """Series vectors (n_series, E) -> study embedding (C_out * E,). Order does not matter."""
        parts = []
        if self.study_description is not None:
            parts.append(self.study_description([study_description]))
        parts.append(series_vectors)
        sequence = torch.cat([p.to(series_vectors.dtype) for p in parts], dim=0)
        return self.outer(sequence[None])[0]

    def study_embeddings(self, series_vectors: Tensor, study_description: str) -> Tensor:
        """Many studies at once: series vectors (B, S, E) -> study embeddings (B, C_out * E).

        Per study the same as :meth:`study_embedding_from_series_vectors`; the description is
        encoded once (explanations run many perturbed copies of one study).
        """
        batch = series_vectors.shape[0]
        parts = []
        if self.study_description is not None:
            code = self.study_description([study_description]).to(series_vectors.dtype)
            parts.append(code[None].expand(batch, -1, -1))
        parts.append(series_vectors)
        return self.outer(torch.cat(parts, dim=1))

    def forward(
        self, series_tokens: Sequence[Tensor], series_names: Sequence[str], study_description: str
    ) -> Tensor:
        vectors = self.embed_series(series_tokens, series_names)
        return self.study_embedding_from_series_vectors(vectors, study_description)
