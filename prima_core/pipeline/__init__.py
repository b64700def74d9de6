"""Study -> series volumes -> tokens -> Prediction, faithful to the released Prima preprocessing.

Entry point: :func:`prima_core.pipeline.predict.predict_study`. The steps live in small modules:
``resample`` (256 x 256 in-plane, as SimpleITK), ``reorient`` (closest LPS), ``grid`` (slice
axis and padding), ``preprocess`` (all three, with exact geometry), ``selection`` (which tokens
are kept), ``tokens``/``tokenize`` (encoding and token vectors), ``cache`` (per-series token
cache), ``geometry`` (token boxes in patient space), ``result`` (``Prediction``).
"""
