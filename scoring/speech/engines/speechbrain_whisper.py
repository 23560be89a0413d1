"""Whisper base on speechbrain (PyTorch, CPU): the second ``Recognizer`` engine.

The weights are the CTranslate2 model of ``model_files``, converted once into a Hugging
Face directory by ``ct2_to_hf.whisper_hf_dir()``; speechbrain loads that directory from
local files only. Decoding is greedy with the suppression lists of the CTranslate2
model: given the same log-mel input, the token ids equal CTranslate2's greedy ones.
Unlike faster-whisper, which pads the spectrogram with zeros, a window shorter than
30 s is padded with silence before the spectrogram (as OpenAI's Whisper does).
"""
from __future__ import annotations

import json
import string
import threading
from pathlib import Path

import numpy as np
import torch

from ..ports import SAMPLE_RATE, WINDOW_S, RecognisedWord, Transcript
from .ct2_to_hf import whisper_hf_dir

_WINDOW = int(WINDOW_S * SAMPLE_RATE)
_PUNCT = string.punctuation + "–—…«»”“’"


class SpeechBrainRecognizer:
    """Finnish transcription and forced-decoding word scores with speechbrain's Whisper.

    Safe to share between threads: inference runs under a lock, one call at a time.
    """

    name = "speechbrain"

    def __init__(self, threads: int | None = None):
        hf_dir = str(whisper_hf_dir())
        # Imported here, after ct2_to_hf has switched the Hugging Face hub off.
        from speechbrain.decoders.seq2seq import S2SWhisperGreedySearcher
        from speechbrain.integrations.huggingface.whisper import Whisper

        if threads:
            torch.set_num_threads(threads)
        # freeze=True still leaves the model in training mode, hence eval().
        self._whisper = Whisper(source=hf_dir, save_path=hf_dir, language="fi",
                                task="transcribe", freeze=True).eval()
        self._tokenizer = self._whisper.tokenizer
        self._eot = self._whisper.eos
        self._prefix = list(self._tokenizer.prefix_tokens)  # SOT, fi, transcribe, notimestamps
        self._max_tokens = self._whisper.config.max_target_positions
        # speechbrain's own language list comes from transformers and has 100 entries,
        # one more than this model knows; the generation config has the model's 99.
        lang_to_id = json.loads((Path(hf_dir) / "generation_config.json").read_text())["lang_to_id"]
        self._languages = [token.strip("<|>") for token in lang_to_id]
        self._language_ids = list(lang_to_id.values())
        self._searcher = S2SWhisperGreedySearcher(
            self._whisper, min_decode_ratio=0.0, max_decode_ratio=1.0,
            suppress_tokens=list(self._whisper.config.suppress_tokens)).eval()
        self._lock = threading.Lock()

    def transcribe(self, audio: np.ndarray) -> Transcript:
        audio = np.asarray(audio, dtype=np.float32)
        windows = np.array_split(audio, max(1, -(-len(audio) // _WINDOW)))  # equal, ≤ 30 s
        texts, logprob_sum, n_tokens, no_speech = [], 0.0, 0, 1.0
        language: tuple[str | None, float | None, float | None] = (None, None, None)
        for i, window in enumerate(windows):
            with self._lock, torch.inference_mode():
                enc = self._encode(window)
                tokens, logprob, window_no_speech = self._greedy(enc)
                if i == 0:
                    language = self._language(enc)
            texts.append(self._tokenizer.decode([t for t in tokens if t < self._eot]).strip())
            logprob_sum += logprob
            n_tokens += len(tokens)
            no_speech = min(no_speech, window_no_speech)
        text = " ".join(t for t in texts if t)
        return Transcript(text, [RecognisedWord(w) for w in text.split()],
                          logprob_sum / n_tokens if n_tokens else 0.0, no_speech, self.name,
                          *language)

    def greedy_tokens(self, audio: np.ndarray) -> list[int]:
        """The token ids greedy decoding gives for the first 30 s of audio (after the
        start sequence, without ``<|endoftext|>``); for checks against other engines."""
        with self._lock, torch.inference_mode():
            return self._greedy(self._encode(audio[:_WINDOW]))[0]

    def score_reference(self, audio: np.ndarray, words: list[str]) -> list[float]:
        """Mean log-probability of the tokens of each word's letters, by teacher forcing
        the start sequence and `` word1 word2 ...`` on the first 30 s of audio (the
        ``faster-whisper`` engine scores the same tokens)."""
        if not words:
            return []
        with self._lock, torch.inference_mode():
            tokens, spans = self._reference_tokens(words)
            ids = self._prefix + tokens
            if len(ids) > self._max_tokens:
                raise ValueError(f"The reference text has {len(tokens)} tokens; Whisper reads "
                                 f"at most {self._max_tokens - len(self._prefix)}.")
            enc = self._encode(audio[:_WINDOW])
            logits, _, _ = self._whisper.forward_decoder(enc, torch.tensor([ids]), use_cache=False)
            logprobs = torch.log_softmax(logits[0, len(self._prefix) - 1:-1].float(), dim=-1)
        token_lp = logprobs.gather(1, torch.tensor(tokens).unsqueeze(1)).squeeze(1).numpy()
        return [float(token_lp[a:b].mean()) for a, b in spans]

    def _reference_tokens(self, words: list[str]) -> tuple[list[int], list[tuple[int, int]]]:
        """The tokens of `` word1 word2 ...`` and the token range of each word's letters.

        Each word is tokenised apart, its leading and trailing punctuation apart from its
        letters; the byte-level tokeniser splits the joined text at the same places, so
        the tokens are those of the joined text and map back to the words one to one.
        """
        tokens: list[int] = []
        spans: list[tuple[int, int]] = []
        for word in words:
            core = word.strip(_PUNCT) or word
            lead = word[:len(word) - len(word.lstrip(_PUNCT))] if core != word else ""
            trail = word[len(lead) + len(core):]
            if lead:
                tokens += self._tokenizer.encode(" " + lead, add_special_tokens=False)
            letters = self._tokenizer.encode(("" if lead else " ") + core, add_special_tokens=False)
            spans.append((len(tokens), len(tokens) + len(letters)))
            tokens += letters
            if trail:
                tokens += self._tokenizer.encode(trail, add_special_tokens=False)
        return tokens, spans

    def _encode(self, audio: np.ndarray):
        wav = torch.from_numpy(np.ascontiguousarray(audio)).unsqueeze(0)
        return self._whisper.forward_encoder(self._whisper._get_mel(wav))

    def _greedy(self, enc: torch.Tensor) -> tuple[list[int], float, float]:
        """Greedy decoding of one encoded window: the token ids, the sum of their
        log-probabilities (speechbrain drops the one of ``<|endoftext|>``) and the
        no-speech probability."""
        hyps, _, scores, _ = self._searcher(enc, torch.ones(1))
        tokens = [int(t) for t in hyps[0]]
        no_speech = float(self._searcher.no_speech_probs[0])
        return tokens, float(scores[0, 0, :len(tokens)].sum()), no_speech

    def _language(self, enc: torch.Tensor) -> tuple[str, float, float]:
        """The most likely language of an encoded window, its probability, that of Finnish."""
        sot = torch.tensor([self._prefix[:1]])
        logits, _, _ = self._whisper.forward_decoder(enc, sot, use_cache=False)
        probs = logits[0, -1, self._language_ids].float().softmax(dim=-1)
        best = int(probs.argmax())
        return (self._languages[best], float(probs[best]),
                float(probs[self._languages.index("fi")]))
