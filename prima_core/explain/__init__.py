"""Per-diagnosis explanations of Prima's predictions, placed in patient space.

``explain(prediction, bundle, *, target, method, progress=None, cancel=None, steps=16,
samples=200, cache=None) -> Explanation`` starts from the token vectors a ``Prediction`` holds
(the tokenizer never runs again) and scores every kept token for one target: a diagnosis or
referral margin, or a priority level's raw score. Methods (``SaliencyMethod``, CLI names):

* ``attention_rollout`` -- where the model reads from; target-agnostic (the same for every
  diagnosis), one forward pass;
* ``gradient_x_input`` -- the viewer's default (``default_fast_method()``): one backward pass;
* ``integrated_gradients`` -- from a per-series mean-content baseline, completeness holds;
* ``occlusion`` -- the drop when a patch's token is deleted from its sequence;
* ``lime`` -- a weighted linear fit over random subsets of patches;
* ``series_contribution`` -- the value minus the value without each series.

An ``Explanation`` holds signed token scores per series, a heat map ``Volume`` per series in
that series' own voxel grid and affine (positive evidence, the study's top patch = 1, raw scale
in the metadata), ranked top regions (patient LPS mm) and the series contributions; ``to_dict()``
is its JSON. ``pointing_game`` checks the top region against known lesions. Margins are not
probabilities; research use, not for clinical decisions.
"""

from prima_core.explain.cache import ExplanationCache
from prima_core.explain.explanation import Explanation
from prima_core.explain.forward import Baseline, Removal
from prima_core.explain.methods import SaliencyMethod, default_fast_method
from prima_core.explain.regions import Region, pointing_game
from prima_core.explain.run import DEFAULT_SAMPLES, DEFAULT_STEPS, explain
from prima_core.explain.targets import Target, TargetKind, resolve_target

__all__ = [
    "DEFAULT_SAMPLES",
    "DEFAULT_STEPS",
    "Baseline",
    "Explanation",
    "ExplanationCache",
    "Region",
    "Removal",
    "SaliencyMethod",
    "Target",
    "TargetKind",
    "default_fast_method",
    "explain",
    "pointing_game",
    "resolve_target",
]
