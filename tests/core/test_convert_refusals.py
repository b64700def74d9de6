"""Bad model files are refused with one line and a non-zero exit, and nothing in them runs."""

from __future__ import annotations

import io
import os
import pickle
import shutil
import zipfile
from pathlib import Path

import pytest
import torch

from prima_core.cli import main
from prima_core.errors import CheckpointRefused
from prima_core.model.convert import convert_official
from prima_core.model.safe_unpickle import load_inert, pickle_globals

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "prima_parity"


class _RunsShell:
    """Pickles as ``os.system('touch <marker>')``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _NotPrima(torch.nn.Module):
    pass


def _cli_refuses(capsys: pytest.CaptureFixture[str], model: Path, tmp_path: Path, *extra: str) -> str:
    code = main(
        [
            "convert",
            "--model",
            str(model),
            "--tokenizer",
            str(FIXTURES / "tokenizer.pth"),
            "--out",
            str(tmp_path / "bundle"),
            *extra,
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0
    assert err[-1].startswith("prima convert: error: ")
    assert "Traceback" not in "\n".join(err)
    assert not (tmp_path / "bundle").exists()
    return err[-1]


def test_random_bytes_are_refused(tmp_path, capsys):
    path = tmp_path / "random.pt"
    path.write_bytes(os.urandom(4096))
    assert "not a PyTorch checkpoint" in _cli_refuses(capsys, path, tmp_path)


def test_truncated_release_file_is_refused(tmp_path, capsys):
    path = tmp_path / "truncated.pt"
    path.write_bytes((FIXTURES / "full_model.pt").read_bytes()[:3_000_000])
    assert "damaged or truncated" in _cli_refuses(capsys, path, tmp_path)


def test_state_dict_instead_of_full_model_is_refused(tmp_path, capsys):
    path = tmp_path / "weights.pt"
    torch.save({"innerViT.cls_token": torch.zeros(1, 3, 8)}, path)
    assert "only a weights dictionary (state_dict)" in _cli_refuses(capsys, path, tmp_path)


def test_class_outside_the_allowed_set_is_refused(tmp_path, capsys):
    path = tmp_path / "other.pt"
    torch.save(_NotPrima(), path)
    line = _cli_refuses(capsys, path, tmp_path)
    assert "_NotPrima" in line and "never needs" in line


@pytest.mark.parametrize("container", ["torch_zip", "raw_pickle", "inside_prima_layout"])
def test_shell_command_in_pickle_never_runs(tmp_path, capsys, container):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.pt"
    payload = _RunsShell(marker)
    if container == "torch_zip":
        torch.save(payload, path)
    elif container == "raw_pickle":
        path.write_bytes(pickle.dumps(payload, protocol=5))
    else:
        shutil.copy(FIXTURES / "full_model.pt", path)
        _append_record(path, payload)
    if container == "inside_prima_layout":
        with pytest.raises(CheckpointRefused, match="system"):
            load_inert(path)
    else:
        line = _cli_refuses(capsys, path, tmp_path)
        assert "'posix.system'" in line or "'nt.system'" in line
    assert not marker.exists()


def _append_record(path: Path, payload: object) -> None:
    """Replace the checkpoint's structure pickle with one that carries ``payload``."""
    with zipfile.ZipFile(path) as archive:
        records = {n: archive.read(n) for n in archive.namelist()}
    name = next(n for n in records if n.endswith("/data.pkl"))
    buffer = io.BytesIO()
    pickle.dump({"model": payload}, buffer, protocol=2)
    records[name] = buffer.getvalue()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for n, data in records.items():
            archive.writestr(n, data)


def test_static_scan_names_stack_globals():
    data = pickle.dumps(_RunsShell(Path("/nonexistent")), protocol=5)
    assert any(name.endswith(".system") for name in pickle_globals(data))


def test_tokenizer_not_matching_its_config_is_refused(tmp_path):
    config = (FIXTURES / "tokenizer_config.json").read_text().replace("16,", "8,")
    bad = tmp_path / "tokenizer_config.json"
    bad.write_text(config)
    shutil.copy(FIXTURES / "tokenizer.pth", tmp_path / "tokenizer.pth")
    with pytest.raises(
        CheckpointRefused, match=r"does not match its config: 'encoder\.blocks\.0\.conv\.weight'"
    ):
        convert_official(full_model=FIXTURES / "full_model.pt", tokenizer_config=bad, out_dir=tmp_path / "b")
    assert not (tmp_path / "b").exists()
    assert not list(tmp_path.glob(".b.partial"))


def test_tokenizer_pickle_with_code_is_refused(tmp_path):
    marker = tmp_path / "marker"
    evil = tmp_path / "vqvae.pth"
    torch.save({"encoder.blocks.0.conv.weight": _RunsShell(marker)}, evil)
    with pytest.raises(CheckpointRefused, match="refused tokenizer vqvae.pth"):
        convert_official(full_model=FIXTURES / "full_model.pt", tokenizer=evil, out_dir=tmp_path / "b")
    assert not marker.exists()
