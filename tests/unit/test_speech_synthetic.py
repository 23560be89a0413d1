"""Synthetic Finnish speech (espeak-ng + sox) for the speech tests and benchmark: no ASR model."""
from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from scoring.speech.audio import AudioProblem, check
from scoring.speech.ports import SAMPLE_RATE
from scoring.speech.synthetic import (add_noise, passages, silence, skip_words, speech_rms, synthesize,
                                      tempo, to_wav_bytes, tone, with_pauses)

SENTENCE = "Minun nimeni on Anna ja asun Espoossa perheeni kanssa."
WORDS = SENTENCE.split()


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return synthesize(SENTENCE)


def silent_runs(audio: np.ndarray, min_seconds: float, level: float = 1e-3) -> list[float]:
    """Lengths in seconds of the stretches quieter than ``level``, lasting at least
    ``min_seconds``, between sounds (not the silence before or after the speech)."""
    quiet = np.abs(audio) <= level
    edges = np.diff(np.r_[0, quiet.astype(np.int8), 0])
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(e - s) / SAMPLE_RATE for s, e in zip(starts, ends)
            if e - s >= min_seconds * SAMPLE_RATE and s > 0 and e < len(audio)]


def test_synthesized_speech_is_16khz_float_audio_of_plausible_length(speech):
    assert speech.dtype == np.float32 and speech.ndim == 1
    assert 2.5 < len(speech) / SAMPLE_RATE < 6.0   # 9 words at 150 words a minute
    assert np.max(np.abs(speech)) <= 1.0
    assert speech_rms(speech) > 0.05
    check(speech)   # neither silent nor clipped for the recording checks


def test_slower_reading_is_longer():
    slow, fast = synthesize(SENTENCE, wpm=100), synthesize(SENTENCE, wpm=200)
    assert len(slow) / len(fast) > 1.5


def test_wav_bytes_are_16khz_mono_pcm(speech):
    with wave.open(io.BytesIO(to_wav_bytes(speech)), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (SAMPLE_RATE, 1, 2)
        assert w.getnframes() == len(speech)


@pytest.mark.parametrize("after, seconds", [([1], 1.5), ([1, 4], 1.0), ([0, 3, 5], 0.5)])
def test_pauses_lengthen_the_clip_by_silences_of_the_asked_length(after, seconds):
    plain = with_pauses(WORDS, [], seconds)
    paused = with_pauses(WORDS, after, seconds)
    added = (len(paused) - len(plain)) / SAMPLE_RATE
    assert abs(added - len(after) * seconds) < 0.15 * len(after)
    inserted = silent_runs(paused, 0.8 * seconds)
    assert len(inserted) == len(after)
    assert all(seconds - 0.03 < s < seconds + 0.1 for s in inserted), inserted
    assert not silent_runs(plain, 0.8 * seconds)


def test_pause_positions_must_be_words():
    with pytest.raises(ValueError):
        with_pauses(WORDS, [len(WORDS)], 1.0)


@pytest.mark.parametrize("factor", [0.7, 1.4])
def test_tempo_changes_the_length_by_the_factor(speech, factor):
    slowed = tempo(speech, factor)
    assert slowed.dtype == np.float32
    assert len(slowed) / len(speech) == pytest.approx(1 / factor, rel=0.03)
    assert speech_rms(slowed) == pytest.approx(speech_rms(speech), rel=0.3)


def test_skip_words_drops_exactly_k_never_the_first():
    words = [f"w{i}" for i in range(12)]
    for seed in range(20):
        kept, dropped = skip_words(words, 4, np.random.default_rng(seed))
        assert len(dropped) == 4 == len(set(dropped)) and dropped == sorted(dropped)
        assert 0 not in dropped and kept[0] == "w0"
        assert kept == [w for i, w in enumerate(words) if i not in dropped]
    first = skip_words(words, 4, np.random.default_rng(7))
    assert skip_words(words, 4, np.random.default_rng(7)) == first
    assert skip_words(words, 11, np.random.default_rng(1)) == (["w0"], list(range(1, 12)))
    with pytest.raises(ValueError):
        skip_words(words, 12, np.random.default_rng(1))


@pytest.mark.parametrize("snr_db", [0.0, 10.0, 20.0])
def test_noise_is_added_at_the_requested_snr(speech, snr_db):
    noisy = add_noise(speech, snr_db, np.random.default_rng(3))
    assert noisy.dtype == np.float32 and np.max(np.abs(noisy)) <= 1.0
    measured = 20 * np.log10(speech_rms(speech) / np.sqrt(np.mean((noisy - speech) ** 2)))
    assert measured == pytest.approx(snr_db, abs=0.5)


def test_noise_on_a_loud_signal_stays_in_range():
    noisy = add_noise(tone(1.0, amplitude=0.95), -6.0, np.random.default_rng(0))
    assert np.max(np.abs(noisy)) <= 1.0


def test_silence_and_tones_trip_the_recording_checks():
    assert len(silence(1.5)) == 1.5 * SAMPLE_RATE and not silence(1.5).any()
    with pytest.raises(AudioProblem) as err:
        check(silence(2.0))
    assert err.value.code == "silent"
    with pytest.raises(AudioProblem) as err:
        check(tone(2.0, amplitude=3.0))
    assert err.value.code == "clipped"
    check(tone(2.0, amplitude=0.5))


def test_passages_are_the_read_aloud_texts_in_finnish(voikko):
    found = passages()
    assert len(found) >= 20
    assert len({pid for pid, _ in found}) == len(found)
    for pid, text in found:
        words = [t.tokenText for t in voikko.tokens(text) if t.tokenTypeName == "WORD"]
        assert words, pid
        known = sum(voikko.spell(w) or w[0].isupper() for w in words)
        assert known / len(words) >= 0.9, (pid, text)
    short = passages(max_words=10)
    assert 0 < len(short) < len(found) and all(len(t.split()) <= 10 for _, t in short)
