"""Write a safetensors file one tensor at a time, and read its header.

``safetensors.torch.save_file`` needs every tensor in memory at once; the released heads alone
can exceed the memory of a reading-room laptop. The format is simple (8-byte header length,
JSON header with dtype/shape/byte range per tensor, then the raw little-endian bytes), so we
write the header from shapes first and then stream each tensor's bytes as it is produced.
Files are read back with the ``safetensors`` library itself.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import safe_open

_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}


@dataclass(frozen=True)
class PendingTensor:
    """A tensor to write: its name, dtype, shape, and a function that produces its values."""

    name: str
    dtype: torch.dtype
    shape: tuple[int, ...]
    produce: Callable[[], torch.Tensor]

    @property
    def nbytes(self) -> int:
        count = 1
        for s in self.shape:
            count *= s
        return count * torch.empty(0, dtype=self.dtype).element_size()


def pending(name: str, tensor: torch.Tensor) -> PendingTensor:
    """A ``PendingTensor`` for a tensor already in memory."""
    return PendingTensor(name, tensor.dtype, tuple(tensor.shape), lambda: tensor)


def write_streaming(
    path: Path,
    tensors: Iterable[PendingTensor],
    *,
    metadata: dict[str, str] | None = None,
    on_tensor: Callable[[int, int], None] | None = None,
) -> None:
    """Write ``tensors`` to ``path``; only one tensor's values are in memory at a time.

    ``on_tensor(done_bytes, total_bytes)`` is called after each tensor (for progress).
    """
    items = sorted(tensors, key=lambda t: t.name)
    header: dict[str, object] = {"__metadata__": dict(metadata or {})}
    offset = 0
    for item in items:
        if item.dtype not in _DTYPES:
            raise ValueError(f"{item.name}: cannot store {item.dtype}")
        header[item.name] = {
            "dtype": _DTYPES[item.dtype],
            "shape": list(item.shape),
            "data_offsets": [offset, offset + item.nbytes],
        }
        offset += item.nbytes
    blob = json.dumps(header, separators=(",", ":")).encode("utf-8")
    blob += b" " * (-len(blob) % 8)
    done = 0
    with path.open("wb") as f:
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        for item in items:
            value = item.produce().detach().to("cpu").contiguous()
            if value.dtype != item.dtype or tuple(value.shape) != item.shape:
                raise ValueError(f"{item.name}: produced {value.dtype} {tuple(value.shape)}")
            if value.numel():
                f.write(value.reshape(-1).view(torch.uint8).numpy().data)
            del value
            done += item.nbytes
            if on_tensor is not None:
                on_tensor(done, offset)


def read_shapes(path: Path) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Name -> (dtype string, shape) from a safetensors header, reading no tensor data."""
    with safe_open(str(path), framework="pt") as f:
        result = {}
        for name in f.keys():  # noqa: SIM118 - safe_open is not a dict
            piece = f.get_slice(name)
            result[name] = (str(piece.get_dtype()), tuple(int(s) for s in piece.get_shape()))
        return result


def read_tensors(path: Path, names: Iterable[str], *, strip: str = "") -> dict[str, torch.Tensor]:
    """The named tensors (CPU), keyed without the ``strip`` prefix."""
    with safe_open(str(path), framework="pt") as f:
        return {n[len(strip) :] if strip and n.startswith(strip) else n: f.get_tensor(n) for n in names}
