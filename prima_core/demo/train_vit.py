"""Train the demo model's hierarchical ViT and heads on tokenized phantom studies.

Losses in :mod:`.train_losses` (study labels, plus token-level lesion labels as an auxiliary
signal); AdamW with a warm-up and cosine decay. Augmentation: series dropout (a study keeps at
least two series) and token dropout (each series keeps a random fraction of its tokens). After
each epoch the model is scored on the validation studies (full series, all tokens); the epoch
with the best mean AUC is kept. With ``ema_decay`` > 0 the model scored and kept after an epoch
carries an exponential moving average of the weights of every step (the training run itself goes
on with its own weights): one epoch's weights depend on its last few batches, the average much
less, so the epoch that wins on 64 validation studies is less of a lucky draw. With ``branches``
> 1 the run forks after ``branch_after`` epochs: each branch trains on with its own data order and
augmentation draws (branch 0 as the unforked run would), and each scored epoch scores the mean of
the branches' weights -- one model at the end, made from several runs that share their start.
A checkpoint after each epoch (every branch's state in it) makes the run resumable.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from prima_core.demo.dataset_tokens import TokenizedStudy
from prima_core.demo.eval_metrics import roc_auc, summarize_auc
from prima_core.demo.train_config import VitTrainConfig
from prima_core.demo.train_heads import check_head_widths, refit_heads, study_embeddings
from prima_core.demo.train_losses import AuxiliaryProbes, DemoLoss, Targets
from prima_core.demo.train_model import DIAGNOSIS_HEAD, build_demo_model, head_logits, prepare_for_training
from prima_core.demo.train_targets import diagnosis_names
from prima_core.demo.train_transplant import LesionMover
from prima_core.errors import UserError
from prima_core.model.precision import autocast, cpu_has_native_bf16
from prima_core.model.prima import PrimaModel
from prima_core.model.spec import PRIORITY_HEAD
from prima_core.pipeline.tokens import POSITION_CHANNELS, TOKEN_DIM
from prima_core.progress import CancelToken, ProgressCallback, check, report

LATENT_SIZE = TOKEN_DIM - 3 * POSITION_CHANNELS - 3  # the flat latent at the start of a token vector


@dataclass
class TrainState:
    """What a checkpoint holds besides the weights."""

    epoch: int = 0
    best_epoch: int = -1
    best_score: float = -math.inf
    history: list[dict[str, Any]] = field(default_factory=list)


def augment(study: TokenizedStudy, config: VitTrainConfig, rng: np.random.Generator) -> TokenizedStudy:
    """Series dropout then token dropout, on one study."""
    n = len(study.vectors)
    keep = [i for i in range(n) if rng.random() >= config.series_drop]
    if len(keep) < min(config.series_keep_min, n):
        keep = sorted(rng.choice(n, size=min(config.series_keep_min, n), replace=False).tolist())
    vectors, lesions, bins = [], [], []
    for i in keep:
        tokens = study.vectors[i]
        fraction = rng.uniform(*config.token_keep)
        count = max(1, int(round(fraction * len(tokens))))
        chosen = np.sort(rng.choice(len(tokens), size=count, replace=False))
        vectors.append(tokens[torch.from_numpy(chosen)])
        if study.lesions is not None:
            lesions.append(study.lesions[i][torch.from_numpy(chosen)])
        if study.bins is not None:
            bins.append(study.bins[i][torch.from_numpy(chosen)])
    return TokenizedStudy(
        seed=study.seed,
        labels=study.labels,
        description=study.description,
        series_names=[study.series_names[i] for i in keep],
        vectors=vectors,
        lesions=lesions if study.lesions is not None else None,
        bins=bins if study.bins is not None else None,
        histograms=study.histograms[torch.tensor(keep)] if study.histograms is not None else None,
    )


def alter(
    study: TokenizedStudy, mover: LesionMover | None, config: VitTrainConfig, rng: np.random.Generator
) -> tuple[TokenizedStudy, np.ndarray]:
    """Maybe transplant a lesion into ``study`` or remove its lesion; labels known per finding."""
    known = np.ones(len(diagnosis_names()), dtype=np.float32)
    if mover is None:
        return study, known
    draw = rng.random()
    altered = None
    if draw < config.transplant_p:
        altered = mover.transplant(study, rng)
    elif draw < config.transplant_p + config.remove_p:
        altered = mover.remove(study, rng)
    return (study, known) if altered is None else (altered.study, altered.known)


def predict_logits(model: PrimaModel, studies: Sequence[TokenizedStudy]) -> dict[str, Tensor]:
    """Raw head outputs for every study, no augmentation."""
    embeddings = study_embeddings(model, studies)
    with torch.inference_mode():
        return {k: v.float() for k, v in head_logits(model, embeddings).items()}


def validation_metrics(logits: dict[str, Tensor], targets: Targets) -> dict[str, Any]:
    names = diagnosis_names()
    scores = logits[DIAGNOSIS_HEAD].numpy()
    truth = targets.findings.numpy()
    auc = {n: roc_auc(truth[:, i], scores[:, i]) for i, n in enumerate(names)}
    priority_acc = float((logits[PRIORITY_HEAD].argmax(1) == targets.priority).float().mean())
    return {
        "auc": auc,
        **{f"auc_{k}": v for k, v in summarize_auc(auc).items()},
        "priority_accuracy": priority_acc,
    }


def _lr(step: int, total: int, config: VitTrainConfig) -> float:
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, total - config.warmup_steps)
    return config.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))


def training_autocast_dtype(config: VitTrainConfig) -> torch.dtype | None:
    """The autocast dtype of the training steps (``None``: fp32); refuses bf16 where it would crawl."""
    if config.precision == "fp32":
        return None
    if config.precision != "bf16":
        raise UserError(f"unknown training precision {config.precision!r} (expected fp32 or bf16)")
    if not cpu_has_native_bf16():
        raise UserError(
            "bf16 training needs a CPU with native bf16 (AVX512-BF16 or AMX); "
            "train with --precision fp32 here (about twice the time)"
        )
    return torch.bfloat16


def train_vit(
    train: Sequence[TokenizedStudy],
    val: Sequence[TokenizedStudy],
    config: VitTrainConfig,
    *,
    seed: int,
    checkpoint: Path | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    mirrors: Sequence[TokenizedStudy] | None = None,
) -> tuple[PrimaModel, TrainState]:
    """Train from scratch (or resume ``checkpoint``); returns the best epoch's model.

    ``mirrors[i]``, when given, is ``train[i]`` mirrored left to right (.train_mirror): a draw
    takes it instead with probability ``config.mirror_p``.
    """
    if mirrors is not None and len(mirrors) != len(train):
        raise ValueError("one mirror image per training study")
    step_dtype = training_autocast_dtype(config)
    torch.manual_seed(seed)
    model = build_demo_model(config)
    check_head_widths(model, config)
    if config.attention_gain != 1.0:
        prepare_for_training(model, attention_gain=config.attention_gain)
    probes = AuxiliaryProbes(config.width, config.inner_depth, config.series_dim, len(diagnosis_names()))
    parameters = [*model.parameters(), *probes.parameters()]
    optimizer = torch.optim.AdamW(parameters, lr=config.lr, weight_decay=config.weight_decay)
    state = TrainState()
    best: dict[str, Tensor] = {k: v.clone() for k, v in model.state_dict().items()}
    saved: dict[str, Any] = {}
    if checkpoint is not None and checkpoint.is_file():
        saved = torch.load(checkpoint, weights_only=True)
        model.load_state_dict(saved["model"])
        probes.load_state_dict(saved["probes"])
        optimizer.load_state_dict(saved["optimizer"])
        best = saved["best"]
        state = TrainState(**saved["state"])
    if config.branches > 1 and config.ema_decay > 0:
        raise ValueError("a forked run (branches > 1) averages its branches; it takes no ema_decay")
    if config.branches < 1:
        raise ValueError(f"branches must be at least 1, not {config.branches}")
    ema = WeightAverage(model, config.ema_decay) if config.ema_decay > 0 else None
    if ema is not None and "ema" in saved:
        ema.load(saved["ema"])
    forks: list[dict[str, Any]] | None = saved.get("branches")
    train_targets, val_targets = Targets.of(train), Targets.of(val)
    loss_fn = DemoLoss(train, config, probes)
    moves = config.transplant_p > 0 or config.remove_p > 0
    mover = LesionMover(train, latent_size=LATENT_SIZE) if moves else None
    steps_per_epoch = math.ceil(len(train) / config.batch)
    total = steps_per_epoch * config.epochs

    def run_epoch(epoch: int, rng: np.random.Generator) -> list[float]:
        order = rng.permutation(len(train))
        model.train()
        probes.train()
        losses = []
        for b in range(steps_per_epoch):
            check(cancel)
            index = order[b * config.batch : (b + 1) * config.batch]
            step = epoch * steps_per_epoch + b
            for group in optimizer.param_groups:
                group["lr"] = _lr(step, total, config)
            drawn = [train[i] for i in index]
            if mirrors is not None and config.mirror_p > 0:  # no extra draws otherwise (same stream)
                flips = rng.random(len(index)) < config.mirror_p
                drawn = [mirrors[i] if flip else s for i, s, flip in zip(index, drawn, flips, strict=True)]
            altered = [alter(study, mover, config, rng) for study in drawn]
            batch = [augment(study, config, rng) for study, _ in altered]
            targets = Targets.of(batch, known=np.stack([known for _, known in altered]))
            with autocast(torch.device("cpu"), step_dtype):
                loss = loss_fn(model, batch, targets).float()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(parameters, 1.0)
            optimizer.step()
            if ema is not None:
                ema.update(model, step)
            losses.append(loss.detach().item())
            report(
                progress, "vit", (step + 1) / total, f"epoch {epoch + 1} step {b + 1}: loss {losses[-1]:.4f}"
            )
        return losses

    for epoch in range(state.epoch, config.epochs):
        if config.branches > 1 and epoch >= config.branch_after:
            if forks is None:  # fork now: every branch starts from the shared weights
                forks = [_snapshot(model, probes, optimizer) for _ in range(config.branches)]
            losses = []
            for k in range(config.branches):
                _restore(forks[k], model, probes, optimizer)
                draws = [seed, 5, epoch] if k == 0 else [seed, 5, epoch, k]  # branch 0: the unforked draws
                losses += run_epoch(epoch, np.random.default_rng(draws))
                forks[k] = _snapshot(model, probes, optimizer)
            model.load_state_dict(average_weights([f["model"] for f in forks]))
        else:
            losses = run_epoch(epoch, np.random.default_rng([seed, 5, epoch]))
        entry = {"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "loss_parts": dict(loss_fn.parts)}
        if epoch + 1 >= min(config.score_from, config.epochs):  # scored: heads refitted, validated
            joint = {k: v.detach().clone() for k, v in model.state_dict().items()}
            if ema is not None:
                ema.copy_to(model)  # score the averaged weights; training resumes from ``joint``
            refit_heads(model, study_embeddings(model, train), train_targets, config, seed=seed + epoch)
            metrics = (
                validation_metrics(predict_logits(model, val), val_targets) if val else {"auc_mean": None}
            )
            score = metrics["auc_mean"] if metrics["auc_mean"] is not None else -float(np.mean(losses))
            entry.update(metrics)
            if score >= state.best_score:
                state.best_score, state.best_epoch = float(score), epoch + 1
                best = {k: v.detach().clone() for k, v in model.state_dict().items()}
            model.load_state_dict(joint)
        state.history.append(entry)
        state.epoch = epoch + 1
        report(progress, "vit-epoch", state.epoch / config.epochs, _epoch_line(entry))
        if checkpoint is not None:
            _save_checkpoint(checkpoint, model, probes, optimizer, best, state, ema, forks)
    model.load_state_dict(best)
    return model.eval(), state


def _epoch_line(entry: dict[str, Any]) -> str:
    mean, low = entry.get("auc_mean"), entry.get("auc_min")
    aucs = "" if mean is None else f", val AUC mean {mean:.3f} min {low:.3f}"
    return f"epoch {entry['epoch']}: train loss {entry['train_loss']:.4f}{aucs}"


class WeightAverage:
    """Exponential moving average of a model's floating-point weights, updated every step.

    The decay ramps up as ``min(decay, (1 + step) / (10 + step))`` so early steps, far from
    where training ends, do not linger in the average.
    """

    def __init__(self, model: PrimaModel, decay: float) -> None:
        self.decay = decay
        self.values = {k: v.detach().clone() for k, v in model.state_dict().items() if v.is_floating_point()}

    @torch.no_grad()
    def update(self, model: PrimaModel, step: int) -> None:
        d = min(self.decay, (1 + step) / (10 + step))
        current = model.state_dict()
        for k, v in self.values.items():
            v.mul_(d).add_(current[k].detach(), alpha=1.0 - d)

    def copy_to(self, model: PrimaModel) -> None:
        model.load_state_dict({**model.state_dict(), **self.values})

    def load(self, values: dict[str, Tensor]) -> None:
        self.values = {k: v.clone() for k, v in values.items()}


def _snapshot(model: PrimaModel, probes: AuxiliaryProbes, optimizer: Any) -> dict[str, Any]:
    """A detached copy of one branch's training state (weights, probes, optimizer moments)."""
    return {
        "model": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "probes": {k: v.detach().clone() for k, v in probes.state_dict().items()},
        "optimizer": copy.deepcopy(optimizer.state_dict()),
    }


def _restore(snapshot: dict[str, Any], model: PrimaModel, probes: AuxiliaryProbes, optimizer: Any) -> None:
    model.load_state_dict(snapshot["model"])
    probes.load_state_dict(snapshot["probes"])
    optimizer.load_state_dict(copy.deepcopy(snapshot["optimizer"]))


def average_weights(states: Sequence[dict[str, Tensor]]) -> dict[str, Tensor]:
    """The mean of several state dicts of one architecture (non-float entries from the first)."""
    first = states[0]
    return {
        k: torch.stack([s[k] for s in states]).mean(0) if v.is_floating_point() else v.clone()
        for k, v in first.items()
    }


def _save_checkpoint(
    path: Path,
    model: PrimaModel,
    probes: AuxiliaryProbes,
    optimizer: Any,
    best: dict,
    state: TrainState,
    ema: WeightAverage | None = None,
    forks: list[dict[str, Any]] | None = None,
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(
        {
            "model": model.state_dict(),
            "probes": probes.state_dict(),
            "optimizer": optimizer.state_dict(),
            "best": best,
            **({"ema": ema.values} if ema is not None else {}),
            **({"branches": forks} if forks is not None else {}),
            "state": {
                "epoch": state.epoch,
                "best_epoch": state.best_epoch,
                "best_score": state.best_score,
                "history": state.history,
            },
        },
        tmp,
    )
    tmp.replace(path)
