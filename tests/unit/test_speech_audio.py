"""Reading recordings, and the measures computed without a speech model."""
import io
import math

import numpy as np
import pytest

from scoring.speech import audio as au
from scoring.speech import fluency as fl
from scoring.speech.ports import RecognisedWord, Transcript
from scoring.speech.read_aloud import score_read_aloud

SR = 16_000


def tone(seconds, amplitude=0.3, freq=220.0, rate=SR):
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * math.pi * freq * t)).astype(np.float32)


def encode(samples: np.ndarray, fmt: str, codec: str, rate: int, layout: str = "stereo") -> bytes:
    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        chans = 2 if layout == "stereo" else 1
        pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
        pcm = np.tile(pcm, (chans, 1)).T.reshape(1, -1)  # interleaved s16
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout=layout)
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def test_browser_recording_is_decoded_to_16k_mono():
    data = encode(tone(3.0, rate=48_000), "webm", "libopus", 48_000)   # what MediaRecorder sends
    clip = au.load(data)
    assert clip.samples.dtype == np.float32
    assert abs(clip.duration - 3.0) < 0.1
    assert clip.speech_dbfs > -20


def test_wav_round_trip():
    samples = tone(2.0)
    clip = au.load(au.to_wav(samples))
    assert abs(clip.duration - 2.0) < 0.01
    assert np.max(np.abs(clip.samples - samples)) < 1e-3


@pytest.mark.parametrize("data, code", [
    (b"", "not_audio"),
    (b"this is a text file, not a recording" * 10, "not_audio"),
    (bytes(range(256)) * 100, "not_audio"),
    (b"\0" * (au.MAX_BYTES + 1), "too_large"),
])
def test_what_is_not_a_recording_is_refused(data, code):
    with pytest.raises(au.AudioProblem) as err:
        au.load(data)
    assert err.value.code == code


@pytest.mark.parametrize("samples, code", [
    (np.zeros(3 * SR, np.float32), "silent"),
    (np.random.default_rng(1).normal(0, 1e-4, 3 * SR).astype(np.float32), "silent"),
    (np.clip(tone(3.0, amplitude=1.6), -1, 1), "clipped"),
    (tone(0.2), "too_short"),
    (tone(au.MAX_SECONDS + 2, amplitude=0.1), "too_long"),
])
def test_recordings_that_cannot_be_scored_say_why(samples, code):
    with pytest.raises(au.AudioProblem) as err:
        au.load(au.to_wav(samples))
    assert err.value.code == code


def test_fluency_measures_from_segments():
    audio = np.zeros(10 * SR, np.float32)
    segs = [(0.5, 2.5), (2.6, 4.0), (5.0, 7.0), (8.5, 9.5)]   # gaps 0.1 (no pause), 1.0, 1.5
    f = fl.measure(audio, 30, segs)
    assert f.span_s == pytest.approx(9.0)
    assert f.speech_s == pytest.approx(6.4)
    assert f.pause_count == 2 and f.long_pauses == 2
    assert f.mean_pause_s == pytest.approx(1.25)
    assert f.speech_rate == pytest.approx(30 / 9.0)
    assert f.articulation_rate == pytest.approx(30 / 6.4)
    assert fl.measure(audio, 10, []).speech_rate == 0.0


def test_fluency_level_is_monotone_in_every_measure():
    base = fl.measure(np.zeros(10 * SR, np.float32), 30, [(0.5, 4.0), (4.6, 9.0)])
    slower = fl.measure(np.zeros(10 * SR, np.float32), 20, [(0.5, 4.0), (4.6, 9.0)])
    longer_pause = fl.measure(np.zeros(12 * SR, np.float32), 30, [(0.5, 4.0), (6.6, 11.0)])
    assert fl.fluency_score(slower) < fl.fluency_score(base)
    assert fl.fluency_score(longer_pause) < fl.fluency_score(base)
    for name, anchors in fl.ANCHORS.items():
        values = np.linspace(min(anchors) - 1, max(anchors) + 1, 50)
        levels = [fl._level(v, anchors) for v in values]
        steps = np.diff(levels)
        assert (steps >= 0).all() or (steps <= 0).all(), name


def test_syllables_by_voikko():
    from scoring.adapters.voikko import VoikkoAnalyzer

    syl = VoikkoAnalyzer().syllables
    assert fl.count_syllables(["Kauppa", "on", "auki."], syl) == 2 + 1 + 2
    assert fl.count_syllables(["kello", "9"], syl) == 2 + 2


class FakeRecognizer:
    name = "fake"

    def __init__(self, logprobs):
        self.logprobs = logprobs

    def score_reference(self, audio, words):
        return [self.logprobs.get(w.strip(".,!"), -1.0) for w in words]


def _heard(said: str) -> Transcript:
    return Transcript(said, [RecognisedWord(w) for w in said.split()])


def test_read_aloud_statuses_from_both_signals():
    text = "Kauppa on auki joka päivä."
    silence = np.zeros(3 * SR, np.float32)
    # "on" missed by the transcript but likely under forced decoding → read; "päivä" heard
    # as "paiva" and unlikely → changed; "joka" missed and unlikely → skipped
    rec = FakeRecognizer({"on": -0.5, "päivä": -8.0, "joka": -9.0})
    r = score_read_aloud(silence, text, _heard("Kauppa auki päivä"), rec)
    assert {w.word: w.status for w in r.words} == {
        "Kauppa": "read", "on": "read", "auki": "read", "joka": "skipped", "päivä.": "read"}
    assert r.accuracy == pytest.approx(0.8) and r.accuracy_asr == pytest.approx(0.6)
    # without forced decoding the missed word is skipped too
    r2 = score_read_aloud(silence, text, _heard("Kauppa auki päivä"), None)
    assert {w.word: w.status for w in r2.words}["on"] == "skipped"
    # a word said that is not in the text, and one said differently
    r3 = score_read_aloud(silence, text, _heard("Kauppa on auki tänään joka paiva"), rec)
    assert r3.added == [{"after": 2, "word": "tänään"}]
    assert [(w.word, w.status, w.heard) for w in r3.words][-1] == ("päivä.", "changed", "paiva")


def test_the_engine_is_chosen_by_configuration(monkeypatch, tmp_path):
    from scoring.speech.engines import make_recognizer
    from services.common.config import Config

    monkeypatch.setenv("TAITOTASO_ASR_ENGINE", "speechbrain")
    assert Config.from_env(var_dir=tmp_path, secret_key="x").asr_engine == "speechbrain"
    monkeypatch.setenv("TAITOTASO_ASR_ENGINE", "whisper.cpp")
    with pytest.raises(SystemExit, match="faster-whisper, speechbrain"):
        Config.from_env(var_dir=tmp_path, secret_key="x")
    with pytest.raises(ValueError, match="unknown speech recognition engine"):
        make_recognizer("whisper.cpp")
