"""Shared helpers for the explanation tests: the fixture bundle, predictions, smaller studies.

(Named ``test_explain_*`` so it sits with those tests; it holds no tests itself.)
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from prima_core.io import open_studies
from prima_core.model.bundle import load_bundle
from prima_core.model.convert import convert_official
from prima_core.model_registry import demo_bundle_dir
from prima_core.pipeline.predict import predict_study
from prima_core.pipeline.result import Prediction

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "prima_parity"
STUDIES = FIXTURES / "studies"
TARGET = "inflammatory_multiple_sclerosis"


def fixture_bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The parity fixture converted once per test session (shared by the explain test modules)."""
    out = tmp_path_factory.getbasetemp() / "explain_fixture_bundle"
    if not (out / "manifest.json").is_file():
        convert_official(
            full_model=FIXTURES / "full_model.pt",
            tokenizer_config=FIXTURES / "tokenizer_config.json",
            out_dir=out,
        )
    return out


def has_demo_model() -> bool:
    return (demo_bundle_dir() / "manifest.json").is_file()


def trained_bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo model (trained) when it is installed, else the random-weight fixture."""
    return demo_bundle_dir() if has_demo_model() else fixture_bundle_dir(tmp_path_factory)


def predict_fixture(bundle, study: str = "a") -> Prediction:
    return predict_study(open_studies(STUDIES / f"study_{study}").studies[0], bundle, cache=True)


def load(path: Path, **kwargs):
    return load_bundle(path, device="cpu", **kwargs)


def smaller(prediction: Prediction, keep: int) -> Prediction:
    """The same study with only the first ``keep`` kept tokens of each series (a study whose
    selection kept fewer patches): keeps perturbation tests fast."""
    series = []
    for s in prediction.series:
        tokens = dataclasses.replace(
            s.tokens,
            coords=s.tokens.coords[:keep],
            latents=s.tokens.latents[:keep],
            vectors=s.tokens.vectors[:keep],
        )
        series.append(dataclasses.replace(s, tokens=tokens, kept_coords=np.asarray(s.kept_coords)[:keep]))
    return dataclasses.replace(prediction, series=series)
