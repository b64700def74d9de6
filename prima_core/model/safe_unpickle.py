"""Read a pickled Prima model without running anything from it.

The released full model is a whole pickled ``torch.nn.Module``; plain ``torch.load`` would import
and call whatever the file names. We instead:

1. list every global the pickle names (static disassembly, nothing executed) and refuse the file
   if one is outside ``is_allowed_global``;
2. load it with torch's weights-only unpickler, where each allowed global is an *inert*
   stand-in class (it only stores the attribute dict it is given) and tensors stay on the
   ``meta`` device, so no weight is read yet;
3. read each tensor's bytes later, one at a time, from its stored offset in the file.
"""

from __future__ import annotations

import _compat_pickle
import pickletools
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from prima_core.errors import CheckpointRefused

_MODEL_PARTS = (
    "HierViT",
    "ViT",
    "Transformer",
    "PreNorm",
    "Attention",
    "FeedForward",
    "SerieTransformerEncoder",
    "SerieEncoder",
    "GPTWrapper",
)
_TORCH_MODULES = (
    "linear.Linear",
    "linear.Identity",
    "normalization.LayerNorm",
    "sparse.Embedding",
    "container.Sequential",
    "container.ModuleList",
    "container.ModuleDict",
    "container.ParameterList",
    "container.ParameterDict",
    "activation.ReLU",
    "activation.GELU",
    "activation.Softmax",
    "activation.Tanh",
    "activation.Sigmoid",
    "dropout.Dropout",
    "loss.CrossEntropyLoss",
    "rnn.LSTM",
)
_ALLOWED_EXACT = frozenset(
    {
        "model.CLIP",
        "patchify.MedicalImagePatchifier",
        "complete_visual_model.FullMRIModel",
        "__main__.FullMRIModel",
        "collections.OrderedDict",
        "torch.nn.parallel.data_parallel.DataParallel",
    }
    | {f"model_parts.{n}" for n in _MODEL_PARTS}
    | {f"torch.nn.modules.{n}" for n in _TORCH_MODULES}
)
# The text model (GPT-2) rides along in the file; its classes are inert and ignored.
_ALLOWED_PREFIXES = (
    "transformers.models.gpt2.",
    "transformers.activations.",
    "transformers.pytorch_utils.",
    "transformers.configuration_utils.",
    "transformers.generation.configuration_utils.",
)


def is_allowed_global(name: str) -> bool:
    """Whether a Prima checkpoint may name this global (it will become an inert stand-in)."""
    return name in _ALLOWED_EXACT or name.startswith(_ALLOWED_PREFIXES)


class InertObject:
    """Stand-in for a pickled class: keeps the state it is given and does nothing else."""

    global_name = ""

    def __new__(cls, *args: Any, **kwargs: Any) -> InertObject:
        return object.__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.state: dict[str, Any] = {}

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2 and isinstance(state[1], dict | type(None)):
            state = {**(state[0] or {}), **(state[1] or {})}
        self.state = dict(state) if isinstance(state, dict) else {"__state__": state}

    def __repr__(self) -> str:
        return f"<inert {self.global_name}>"

    @property
    def kind(self) -> str:
        """The class name without its module, e.g. ``Linear``."""
        return self.global_name.rsplit(".", 1)[-1]

    def member(self, name: str) -> Any:
        """A submodule, parameter, buffer or plain attribute, as ``getattr`` on the module would."""
        for table in ("_parameters", "_buffers", "_modules"):
            values = self.state.get(table)
            if isinstance(values, dict) and name in values:
                return values[name]
        return self.state.get(name)

    def submodules(self) -> dict[str, Any]:
        modules = self.state.get("_modules")
        return dict(modules) if isinstance(modules, dict) else {}


def stand_in(name: str) -> type[InertObject]:
    """A fresh inert class recorded under the global ``name``."""
    return type(name.rsplit(".", 1)[-1], (InertObject,), {"global_name": name})


def pickle_globals(data: bytes) -> list[str]:
    """Every global a pickle names, found by disassembly only (nothing is imported or run)."""
    found: list[str] = []
    strings: list[str] = []
    memo: dict[int, Any] = {}
    protocol = 0
    for opcode, arg, _ in pickletools.genops(data):
        name = opcode.name
        if name == "PROTO":
            protocol = int(str(arg))
        elif name in ("GLOBAL", "INST"):
            module, _, attr = str(arg).partition(" ")
            found.append(_python3_name(module, attr) if protocol < 3 else f"{module}.{attr}")
        elif name == "STACK_GLOBAL":
            found.append(".".join(strings[-2:]) if len(strings) >= 2 else "<unknown>")
        elif isinstance(arg, str) and "UNICODE" in name or name.endswith("STRING"):
            strings.append(str(arg))
        elif name in ("BINPUT", "LONG_BINPUT", "PUT") and strings:
            memo[int(str(arg))] = strings[-1]
        elif name in ("BINGET", "LONG_BINGET", "GET") and isinstance(memo.get(int(str(arg))), str):
            strings.append(memo[int(str(arg))])
        elif name == "MEMOIZE" and strings:
            memo[len(memo)] = strings[-1]
    return list(dict.fromkeys(found))


def _python3_name(module: str, name: str) -> str:
    """The name unpickling resolves a protocol 0-2 global to (``__builtin__.set`` -> ``builtins.set``)."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        module, name = _compat_pickle.NAME_MAPPING[(module, name)]
    elif module in _compat_pickle.IMPORT_MAPPING:
        module = _compat_pickle.IMPORT_MAPPING[module]
    return f"{module}.{name}"


@dataclass
class InertCheckpoint:
    """The inert object tree of a checkpoint and the file its tensors are read from."""

    root: Any
    path: Path

    def read_tensor(self, meta: torch.Tensor) -> torch.Tensor:
        """The real values of a meta tensor from the tree, read from the file (a copy)."""
        storage = meta.untyped_storage()
        base = getattr(storage, "_checkpoint_offset", None)
        if base is None:
            raise CheckpointRefused(f"{self.path.name}: a tensor has no stored data offset")
        element = meta.element_size()
        span = 1 + sum((s - 1) * st for s, st in zip(meta.shape, meta.stride(), strict=True))
        span = span if meta.numel() else 0
        start = base + meta.storage_offset() * element
        if start < 0 or start + span * element > self.path.stat().st_size:
            raise CheckpointRefused(
                f"{self.path.name} is truncated or damaged: a tensor lies outside the file"
            )
        buffer = bytearray(span * element)
        with self.path.open("rb") as f:
            f.seek(start)
            if f.readinto(buffer) != len(buffer):
                raise CheckpointRefused(f"{self.path.name} is truncated: a tensor's data is missing")
        flat = torch.frombuffer(buffer, dtype=meta.dtype) if span else torch.empty(0, dtype=meta.dtype)
        return torch.as_strided(flat, tuple(meta.shape), meta.stride()).contiguous()


def _data_pickle(path: Path) -> tuple[bytes, str]:
    """The structure pickle of a torch zip checkpoint and its archive prefix."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            pkl = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
            if not pkl:
                raise CheckpointRefused(f"{path.name} is a zip file but not a PyTorch checkpoint")
            prefix = pkl[0][: -len("data.pkl")]
            for info in archive.infolist():
                if info.filename.startswith(prefix + "data/") and info.compress_type != zipfile.ZIP_STORED:
                    raise CheckpointRefused(f"{path.name}: tensor data is compressed, which torch never does")
            order = prefix + "byteorder"
            if order in names and archive.read(order).strip() not in (b"little", b""):
                raise CheckpointRefused(f"{path.name} was saved on a big-endian machine; not supported")
            return archive.read(pkl[0]), prefix
    except zipfile.BadZipFile as exc:
        raise CheckpointRefused(f"{path.name} is damaged or truncated ({exc})") from None


def _refuse_globals(path: Path, names: list[str]) -> None:
    for name in names:
        if not is_allowed_global(name) and name not in _torch_safe_globals():
            raise CheckpointRefused(
                f"refused {path.name}: the file asks to run '{name}', which a Prima model "
                "checkpoint never needs (nothing from the file was run)"
            )


def _torch_safe_globals() -> set[str]:
    from torch import _weights_only_unpickler as wou

    return set(wou._get_allowed_globals())


def _refuse_non_zip(path: Path) -> None:
    data = path.read_bytes()[: 64 << 20]
    try:
        names = pickle_globals(data)
    except Exception:
        names = []
    _refuse_globals(path, names)
    raise CheckpointRefused(
        f"{path.name} is not a PyTorch checkpoint (expected the zip format torch.save writes)"
    )


def load_inert(path: Path) -> InertCheckpoint:
    """The object tree of ``path`` with inert stand-ins and meta tensors (no weights read yet)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointRefused(f"{path} does not exist or is not a file")
    if not zipfile.is_zipfile(path):
        with path.open("rb") as f:
            head = f.read(4)
        if head.startswith(b"PK\x03\x04"):
            raise CheckpointRefused(f"{path.name} is damaged or truncated (its zip directory is missing)")
        _refuse_non_zip(path)
    data, _ = _data_pickle(path)
    try:
        names = pickle_globals(data)
    except Exception:
        raise CheckpointRefused(f"{path.name}: its model description is damaged") from None
    _refuse_globals(path, names)
    extra = [n for n in names if n not in _torch_safe_globals()]
    stand_ins: list[Any] = [(stand_in(n), n) for n in extra]
    try:
        with torch.serialization.safe_globals(stand_ins):
            root = torch.load(path, map_location="meta", weights_only=True)
    except CheckpointRefused:
        raise
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointRefused(f"{path.name} could not be read safely: {first}") from None
    return InertCheckpoint(root=root, path=path)
