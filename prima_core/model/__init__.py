"""Prima in our own PyTorch code, model bundles, and the safe import of the official release.

Public inference API (kept stable; ``prima_core.pipeline`` and ``prima_core.explain`` use it)
--------------------------------------------------------------------------------------------
``load_bundle(path, *, device="auto"|"cpu"|"cuda", precision="fp32"|"auto", head_budget_bytes=1 GiB)``
    -> ``ModelBundle``. Reads ``manifest.json`` and safetensors only (nothing is unpickled) and
    checks every tensor shape against the manifest first (``BundleError`` names the first
    mismatch). Heads beyond ``head_budget_bytes`` of weights stay on disk and are read when used.

``ModelBundle``
    ``.manifest`` (dict), ``.kind`` ("official" | "demo"), ``.name``, ``.device``, ``.precision``,
    ``.token_width`` (289 floats per token vector), ``.model_width`` (D, read from the weights;
    narrower tokens are zero-padded inside),
    ``.tokenizer`` with ``encode_latents(x: (N, 1, A, B, C)) -> (N, 2, A/4, B/4, C/4)`` float32
    (the VQ-VAE encoder output, no quantization; moves ``x`` to the bundle device),
    ``.model`` (``PrimaModel``: ``.visual`` hierarchical ViT, ``.heads``, label tables).

    ``predict_tokens(series_tokens: list[Tensor (n_i, 289)], series_names: list[str],
    study_description: str) -> ModelOutput`` runs one study under ``inference_mode``.

    Differentiable pieces, for explanations (call without ``inference_mode``):
    ``embed_series(series_tokens, series_names) -> Tensor (n_series, E)``,
    ``study_embedding_from_series_vectors(vectors, study_description) -> Tensor (C_out*E,)``,
    ``study_embeddings(series_vectors (B, S, E), study_description) -> Tensor (B, C_out*E)`` (batched),
    ``heads_from_embedding(embedding, *, diagnoses=None, referrals=None, priority=True) -> HeadValues``
    (0-d tensors by name; ``None`` = all names).

``ModelOutput``: ``diagnosis`` and ``referral`` (name -> margin; > 0 is positive at the authors'
operating point; not a probability), ``priority`` (level -> raw score), ``study_embedding``.

``record_attention()``: context manager; inside it every attention layer computes its softmax
explicitly and appends ``AttentionRecord(layer, weights (B, H, Lq, Lk), key_mask)`` to the
yielded recorder (layers named ``inner.i``, ``outer.i``, ``series_names.i``,
``study_description.i``). Inner-ViT rows are ``[cls x C_in, series name, tokens..., padding]``.

Writing bundles
---------------
``convert_official(full_model=, tokenizer_config=|tokenizer=, out_dir=, name=, progress=)``
(``prima convert``) and ``save_bundle(out_dir, model=, tokenizer_config=, tokenizer_state=,
kind="demo", name=, description=)`` for our own models.
"""

from prima_core.model.bundle import BundleError, ModelBundle, ModelOutput, load_bundle
from prima_core.model.bundle_write import BundleKind, save_bundle
from prima_core.model.convert import convert_official
from prima_core.model.precision import DeviceChoice, Precision
from prima_core.model.prima import HeadValues, PrimaModel
from prima_core.model.vit import AttentionRecord, AttentionRecorder, record_attention

__all__ = [
    "AttentionRecord",
    "AttentionRecorder",
    "BundleError",
    "BundleKind",
    "DeviceChoice",
    "HeadValues",
    "ModelBundle",
    "ModelOutput",
    "PrimaModel",
    "Precision",
    "convert_official",
    "load_bundle",
    "record_attention",
    "save_bundle",
]
