"""The speechbrain Whisper engine with real inference on espeak-ng Finnish speech."""
from __future__ import annotations

import subprocess
import time
import wave

import numpy as np
import pytest

from scoring.speech.engines.ct2_to_hf import whisper_hf_dir
from scoring.speech.engines.model_files import whisper_ct2_dir
from scoring.speech.engines.speechbrain_whisper import SpeechBrainRecognizer
from scoring.speech.ports import SAMPLE_RATE, WINDOW_S

SENTENCE = "Suomen kieli on kaunis mutta vaikea. Asun Espoossa ja etsin työtä kaupasta."
UNRELATED = "Isoäiti leipoi eilen mustikkapiirakkaa kesämökin keittiössä."


def _words(text: str) -> list[str]:
    return [w.strip(".,").lower() for w in text.split()]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> np.ndarray:
    tmp = tmp_path_factory.mktemp("clip")
    subprocess.run(["espeak-ng", "-v", "fi", "-s", "140", "-w", str(tmp / "out.wav"), SENTENCE],
                   check=True)
    subprocess.run(["sox", str(tmp / "out.wav"), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16",
                    str(tmp / "clip16.wav")], check=True)
    with wave.open(str(tmp / "clip16.wav")) as w:
        frames = w.readframes(w.getnframes())
    return np.frombuffer(frames, dtype=np.int16).astype(np.float32) / 32768.0


@pytest.fixture(scope="module")
def recognizer() -> SpeechBrainRecognizer:
    return SpeechBrainRecognizer(threads=2)


def test_greedy_tokens_equal_ctranslate2(recognizer, clip):
    import ctranslate2
    from faster_whisper.feature_extractor import FeatureExtractor
    from tokenizers import Tokenizer

    # speechbrain pads the audio with silence to 30 s before the mel spectrogram (as
    # OpenAI's Whisper does); faster-whisper's transcribe pads the spectrogram with zeros
    # instead, another input. Fed the same input, the converted weights must decode alike.
    features = FeatureExtractor()(clip, padding=int(WINDOW_S * SAMPLE_RATE) - len(clip))[:, :3000]
    model = ctranslate2.models.Whisper(str(whisper_ct2_dir()), device="cpu",
                                       compute_type="float32", intra_threads=2)
    fi = Tokenizer.from_file(str(whisper_ct2_dir() / "tokenizer.json")).token_to_id("<|fi|>")
    result = model.generate(ctranslate2.StorageView.from_array(features[None]),
                            [[50258, fi, 50359, 50363]], beam_size=1)
    expected = result[0].sequences_ids[0]
    assert len(expected) > 10
    assert recognizer.greedy_tokens(clip) == expected


def test_transcribe_hears_the_sentence(recognizer, clip):
    transcript = recognizer.transcribe(clip)
    assert transcript.text and transcript.engine == "speechbrain"
    heard = set(_words(transcript.text))
    assert heard & set(_words(SENTENCE))
    assert [w.text for w in transcript.words] == transcript.text.split()
    assert -3.0 < transcript.avg_logprob < 0.0
    assert transcript.no_speech_prob < 0.5
    assert transcript.language == "fi" and transcript.finnish_probability > 0.5


def test_transcribe_splits_long_audio_into_windows(recognizer, clip):
    silence = np.zeros(24 * SAMPLE_RATE, dtype=np.float32)
    long = np.concatenate([clip, silence, clip])  # about 38 s: two windows, one clip in each
    heard = _words(recognizer.transcribe(long).text)
    assert heard.count("suomen") == 2


def test_score_reference_prefers_the_spoken_text(recognizer, clip):
    spoken = SENTENCE.split()
    scores = recognizer.score_reference(clip, spoken)
    assert len(scores) == len(spoken) and all(s <= 0.0 for s in scores)
    unrelated = recognizer.score_reference(clip, UNRELATED.split())
    assert len(unrelated) == len(UNRELATED.split())
    assert np.mean(scores) > np.mean(unrelated) + 1.5
    assert recognizer.score_reference(clip, []) == []


def test_reference_tokens_are_those_of_the_joined_text(recognizer):
    words = ['"Hei,', "mitä", "kuuluu?", "—", "Kiitos", "hyvää!"]
    tokens, spans = recognizer._reference_tokens(words)
    tokenizer = recognizer._tokenizer
    assert tokens == tokenizer.encode(" " + " ".join(words), add_special_tokens=False)
    letters = [tokenizer.decode(tokens[a:b]).strip() for a, b in spans]
    assert letters == ["Hei", "mitä", "kuuluu", "—", "Kiitos", "hyvää"]


def test_conversion_is_done_once(recognizer):
    first = whisper_hf_dir()
    weights = (first / "model.safetensors").stat()
    started = time.perf_counter()
    assert whisper_hf_dir() == first
    assert time.perf_counter() - started < 0.5
    again = (first / "model.safetensors").stat()
    assert (again.st_ino, again.st_mtime_ns) == (weights.st_ino, weights.st_mtime_ns)
