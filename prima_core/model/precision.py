"""Device and numeric-precision choices for running a bundle."""

from __future__ import annotations

import contextlib
from enum import StrEnum
from functools import cache
from pathlib import Path

import torch

from prima_core.errors import UserError


class DeviceChoice(StrEnum):
    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"


class Precision(StrEnum):
    """``fp32``: the reference path (default). ``auto``: fp16 autocast on CUDA like the official
    GPU pipeline; on CPU, bf16 autocast for the tokenizer only, where the CPU has native bf16
    (about 1.3x faster there, latents within ~1% of their range; not bit-comparable to fp32)."""

    FP32 = "fp32"
    AUTO = "auto"


def resolve_device(choice: DeviceChoice | str) -> torch.device:
    choice = DeviceChoice(choice)
    if choice is DeviceChoice.AUTO:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice is DeviceChoice.CUDA and not torch.cuda.is_available():
        raise UserError("--device cuda was asked for, but PyTorch sees no CUDA device here")
    return torch.device(choice.value)


@cache
def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bf16 in hardware (AVX512-BF16 or AMX); else bf16 is slower."""
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="ignore")
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def model_autocast_dtype(device: torch.device, precision: Precision | str) -> torch.dtype | None:
    """Autocast dtype for the ViTs and heads (``None`` = fp32)."""
    if Precision(precision) is Precision.AUTO and device.type == "cuda":
        return torch.float16
    return None


def tokenizer_autocast_dtype(device: torch.device, precision: Precision | str) -> torch.dtype | None:
    """Autocast dtype for the tokenizer's 3D convolutions (``None`` = fp32)."""
    if Precision(precision) is not Precision.AUTO:
        return None
    if device.type == "cuda":
        return torch.float16
    return torch.bfloat16 if cpu_has_native_bf16() else None


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)
