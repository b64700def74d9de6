"""Every size and setting of the demo-model recipe, in one place (written into ``metrics.json``).

The defaults are the recipe that made the committed bundle in ``resources/demo_model``;
``DemoTrainConfig.tiny()`` is the same recipe at toy sizes, for tests.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

# Study seeds: each split has its own range, so no evaluation phantom was ever seen in training.
TRAIN_SEED_BASE = 1_000_000
VAL_SEED_BASE = 2_000_000
EVAL_SEED_BASE = 3_000_000
# Extra training studies that each carry one of DemoTrainConfig.focus_findings (see there).
FOCUS_SEED_BASE = 1_500_000


@dataclass(frozen=True)
class TokenizerTrainConfig:
    """A small VQ-VAE of the released family: same strides, so a 32x32x8 patch gives (2, 8, 8, 2)."""

    channels: tuple[int, int] = (16, 16)
    num_res_layers: int = 1
    num_embeddings: int = 128
    steps: int = 800
    batch: int = 32
    lr: float = 2e-3
    patches_per_study: int = 96  # sampled from each training study's kept tokens
    latent_std: float = 1.0  # latents rescaled (exactly, see rescale_latents) to this spread
    # Lesion-aware variant (off in the recipe; repr=False keeps the work folder's cache keys of
    # the recipe unchanged): the share of each series' sampled patches drawn from patches that
    # touch a lesion mask, and the weight of a training-only term that asks a linear classifier
    # on the (flattened) encoder output which findings' lesions the patch touches.
    lesion_share: float = field(default=0.0, repr=False)
    lesion_weight: float = field(default=0.0, repr=False)

    def lesion_key(self) -> dict[str, float]:
        """The lesion settings that differ from the recipe (part of the tokenizer's cache key)."""
        out = {"lesion_share": self.lesion_share, "lesion_weight": self.lesion_weight}
        return {k: v for k, v in out.items() if v}

    def vqvae_config(self) -> dict[str, Any]:
        """MONAI ``VQVAE`` arguments (the release's down/upsampling, smaller widths)."""
        return {
            "spatial_dims": 3,
            "in_channels": 1,
            "out_channels": 1,
            "num_res_layers": self.num_res_layers,
            "downsample_parameters": [[2, 4, 1, 1], [2, 2, 1, 0]],
            "upsample_parameters": [[2, 4, 1, 1, 0], [2, 2, 1, 0, 0]],
            "channels": list(self.channels),
            "num_res_channels": list(self.channels),
            "num_embeddings": self.num_embeddings,
            "embedding_dim": 2,
        }


# the committed bundle's ViT steps ran under bf16 autocast, the last four of 16 epochs scored
RECIPE_PRECISION = "bf16"
RECIPE_SCORE_FROM = 13
# one head refit per scored epoch, and the pairwise ranking term at weight 0.5 in the ViT's loss
RECIPE_HEAD_ENSEMBLE = 1
RECIPE_RANK_WEIGHT = 0.5


@dataclass(frozen=True)
class VitTrainConfig:
    """The hierarchical ViT (Prima's architecture, small widths) and its training schedule."""

    width: int = 292  # D, sequence-ViT width; tokens (289 floats) are zero-padded to it
    inner_depth: int = 3
    inner_heads: int = 4
    inner_dim_head: int = 16
    inner_mlp: int = 192
    inner_cls: int = 2
    series_dim: int = 128  # E
    outer_depth: int = 2
    outer_heads: int = 4
    outer_dim_head: int = 32
    outer_mlp: int = 256
    outer_cls: int = 8  # one per phantom sequence type (7) plus one free
    name_dim: int = 32  # name encoders: 22 embedding + 10 position channels
    name_depth: int = 1
    head_hidden: tuple[int, int] = (256, 128)
    epochs: int = 16
    batch: int = 4  # studies per step
    lr: float = 1e-3
    weight_decay: float = 0.05
    warmup_steps: int = 100
    token_keep: tuple[float, float] = (0.5, 1.0)  # fraction of a series' tokens kept per step
    series_keep_min: int = 2  # series dropout keeps at least this many (or all, if fewer)
    series_drop: float = 0.3  # chance that each further series is dropped
    transplant_p: float = 0.35  # chance that a study gets another study's lesion tokens (.train_transplant)
    remove_p: float = 0.15  # chance that a study's only localizing lesion is replaced by normal tokens
    referral_weight: float = 0.5
    priority_weight: float = 0.5
    # auxiliary losses (training only, see train_losses)
    token_weight: float = 1.0  # token lesion labels
    stats_weight: float = 1.0  # token intensity-statistic bins
    series_weight: float = 1.0  # findings visible per series
    histogram_weight: float = 1.0  # per-series statistic histograms
    type_weight: float = 0.3  # per-series sequence type
    outer_attention_weight: float = 1.0  # study-ViT cls c attends to sequence type c
    # > 0: the last cls of the last sequence-ViT block attends to the series' lesion tokens, and
    # the free cls of the last study-ViT block to the series that have lesion tokens (tried at
    # 0.5: validation 0.905, but unseen mean AUC 0.82 against 0.88 without it; off by default)
    lesion_attention_weight: float = 0.0
    attention_gain: float = 1.0  # > 1: random cls tokens and qkv scaled at init (prepare_for_training)
    # > 0: each epoch is scored (and kept) with an exponential moving average of the weights
    # (per step, this decay); 0: with the weights of the last step
    ema_decay: float = 0.0
    # heads refitted after every epoch on the frozen embeddings of the training studies (train_heads):
    # "linear": L2 logistic regression written exactly into Prima's MLP head; "mlp": the whole MLP
    head_fit: str = "mlp"
    head_l2: float = 1.0  # "linear": penalty on the standardized weights, (l2 / 2) * |W|^2
    head_steps: int = 300  # "mlp" only, and the next two
    head_lr: float = 3e-3
    head_weight_decay: float = 1e-2
    # "bf16" (the recipe that made the committed bundle): the training steps' forward pass under
    # bfloat16 autocast on the CPU, refused on one without native bf16 (AVX512-BF16 or AMX; about
    # 2x faster per step here; there, pass "fp32": full precision, the same recipe otherwise).
    # Head refits, validation and the bundle stay in fp32.
    # repr=False keeps these two out of the cache key unless they differ from the recipe (run_key).
    precision: str = field(default=RECIPE_PRECISION, repr=False)
    # epochs before this one are neither head-refitted nor validated, so they cannot be kept (the
    # refit and validation do not change training; they cost about half a bf16 epoch here); the
    # recipe scores the last four of its sixteen epochs; 1: every epoch
    score_from: int = field(default=RECIPE_SCORE_FROM, repr=False)
    # chance that a training draw takes the study's left-right mirror image (.train_mirror; the
    # mirrored records are tokenized once, beside the originals); 0: never (tried at 0.5 with the
    # 640-study recipe on two seeds: unseen mean AUC 0.894 / 0.880 against 0.908 / 0.905 without,
    # resources/demo_model/TRAINING.md)
    mirror_p: float = field(default=0.0, repr=False)
    # > 1: after ``branch_after`` epochs the run forks into this many branches, each trained on to
    # the last epoch with its own data order and augmentation draws (branch 0 goes on exactly as an
    # unforked run would); every scored epoch scores the average of the branches' weights, heads
    # refitted on it. 1: no fork (tried with 1,280 studies, 2 branches after epoch 8: unseen mean
    # AUC 0.918 against 0.930 unforked, resources/demo_model/TRAINING.md)
    branches: int = field(default=1, repr=False)
    branch_after: int = field(default=12, repr=False)
    # > 0: a pairwise ranking term on the diagnosis logits, softplus(negative - positive) averaged
    # over every (finding present, finding absent) pair of a study, so that a study's own findings
    # outrank the others, as the single-finding ranking target asks. The recipe: 0.5 (on 640
    # unseen studies mean AUC 0.959 / 0.958 and positive-and-first 88.0 / 81.2 % on its two
    # halves, against 0.953 / 0.949 and 85.4 / 78.6 % without; resources/demo_model/TRAINING.md).
    # 0: off. In the ViT's cache key whenever nonzero (runs without it keep their old key).
    rank_weight: float = field(default=RECIPE_RANK_WEIGHT, repr=False)
    # > 1: the bundle's heads are the exact average of this many head refits (init seeds
    # seed + 1000 + i) on the kept epoch's embeddings, held in one head this many times as wide
    # (.train_head_ensemble); 1: the kept epoch's own refit (the recipe). Applied after training,
    # so not part of the ViT's cache key. The heads grow with it (bundle 7.3 MB with 1, 22.7 MB
    # with 4; 5 would pass the 30 MB limit).
    head_ensemble: int = field(default=RECIPE_HEAD_ENSEMBLE, repr=False)

    def run_key(self) -> dict[str, Any]:
        """The settings above that differ from the recipe of the runs made before they existed (part
        of the ViT's cache key), so those runs keep their keys; ``rank_weight`` whenever nonzero."""
        out: dict[str, Any] = {}
        if self.precision != RECIPE_PRECISION:
            out["precision"] = self.precision
        if self.score_from != RECIPE_SCORE_FROM:
            out["score_from"] = self.score_from
        if self.mirror_p:
            out["mirror_p"] = self.mirror_p
        if self.branches != 1:
            out["branches"] = self.branches
            out["branch_after"] = self.branch_after
        if self.rank_weight:
            out["rank_weight"] = self.rank_weight
        return out


@dataclass(frozen=True)
class DemoTrainConfig:
    """The whole recipe: data, tokenizer, ViT."""

    seed: int = 0
    n_train: int = 1920
    n_val: int = 64
    # Extra training studies beyond the routine mix: study i carries focus_findings[i % len] alone
    # (seeds FOCUS_SEED_BASE + i), for the appearances the model finds hardest. 0: none (the
    # tokenizer never sees them; they join the ViT's training set).
    n_focus: int = 0
    focus_findings: tuple[str, ...] = (
        "vascular_hemorrhagic_intracranial_hemorrhage",
        "cyst_arachnoid_cyst",
        "vascular_hemorrhagic_intracranial_hemorrhage",
        "cyst_arachnoid_cyst",
        "inflammatory_multiple_sclerosis",
        "tumor_adult_meningioma",
    )
    tokenizer_studies: int = 320  # the tokenizer learns from the first (at most) this many training studies
    tokenizer: TokenizerTrainConfig = field(default_factory=TokenizerTrainConfig)
    vit: VitTrainConfig = field(default_factory=VitTrainConfig)
    threads: int = 0  # torch threads for training; 0: torch's default
    series: tuple[str, ...] | None = None  # fixed protocol for every study (tests); None: random
    # written into the bundle's manifest; the viewer's default method for this model: with the
    # lesion transplant/removal augmentation, Integrated Gradients points at the lesion most
    # often of the three methods and in seconds (prima demo-eval pointing game,
    # resources/demo_model/TRAINING.md)
    recommended_explanation: str = "integrated_gradients"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def tiny(cls, *, n_train: int = 3, n_val: int = 2, seed: int = 0) -> DemoTrainConfig:
        """Toy sizes that run the whole recipe in seconds (tests)."""
        return cls(
            seed=seed,
            series=("AX T1", "AX FLAIR"),
            n_train=n_train,
            n_val=n_val,
            tokenizer=replace(TokenizerTrainConfig(), channels=(4, 4), steps=3, batch=4, patches_per_study=8),
            vit=replace(
                VitTrainConfig(),
                inner_depth=1,
                inner_heads=1,
                inner_mlp=16,
                series_dim=16,
                outer_depth=1,
                outer_heads=1,
                outer_dim_head=8,
                outer_mlp=16,
                name_dim=16,
                head_hidden=(32, 32),  # the linear head fit needs 2 x the 14 findings
                epochs=1,
                batch=2,
                warmup_steps=1,
                token_keep=(0.05, 0.1),
                precision="fp32",  # any CPU
                score_from=1,  # its one epoch is scored
            ),
        )
