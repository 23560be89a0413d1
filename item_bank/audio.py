"""Listening audio made at build time from an item's text with espeak-ng's Finnish voice.

Lines beginning with ``A:`` and ``B:`` are spoken by two voices, with a short pause
between turns; speech is slower at the lower levels. The result is Ogg Vorbis, mono,
16 kHz (about 5 kB per second). Synthesis needs Debian's ``espeak-ng`` and ``sox``.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

MEDIA_TYPE = "audio/ogg"
VOICES = {"A": "fi+f3", "B": "fi+m3", None: "fi+f3"}
WORDS_PER_MINUTE = {"A1": 120, "A2": 135, "B1": 150, "B2": 165, "C1": 175, "C2": 180}
_SPEAKER = re.compile(r"^\s*([AB]):\s*(.+)$")


class AudioError(RuntimeError):
    """Synthesis failed or its tools are missing."""


def turns(text: str) -> list[tuple[str | None, str]]:
    """(speaker, words) per turn; plain text is one turn of one voice."""
    out: list[tuple[str | None, str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        m = _SPEAKER.match(line)
        if m:
            out.append((m.group(1), m.group(2).strip()))
        elif out:
            out[-1] = (out[-1][0], out[-1][1] + " " + line.strip())
        else:
            out.append((None, line.strip()))
    return out


def recipe(text: str, cefr: str) -> str:
    """What determines the audio: the same recipe always gives the same file."""
    return f"espeak-ng|{WORDS_PER_MINUTE.get(cefr, 160)}|{VOICES}|{text.strip()}"


def synthesise(text: str, cefr: str, cache_dir: Path | None = None) -> bytes:
    """Ogg Vorbis bytes of ``text`` read aloud; cached by recipe under ``cache_dir``."""
    key = hashlib.sha256(recipe(text, cefr).encode("utf-8")).hexdigest()
    if cache_dir is not None:
        cached = Path(cache_dir) / f"{key}.ogg"
        if cached.exists():
            return cached.read_bytes()
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise AudioError(f"{tool} is not installed: `make install` installs it (Debian package {tool})")
    speed = str(WORDS_PER_MINUTE.get(cefr, 160))
    with tempfile.TemporaryDirectory() as tmp:
        parts = []
        for n, (speaker, words) in enumerate(turns(text)):
            wav = Path(tmp) / f"{n:03d}.wav"
            _run(["espeak-ng", "-v", VOICES[speaker], "-s", speed, "-w", str(wav), words])
            parts.append(str(wav))
            pause = Path(tmp) / f"{n:03d}p.wav"
            _run(["sox", "-n", "-r", "22050", "-c", "1", str(pause), "trim", "0", "0.5"])
            parts.append(str(pause))
        if not parts:
            raise AudioError("nothing to say: the text is empty")
        out = Path(tmp) / "out.ogg"
        _run(["sox", *parts[:-1], "-r", "16000", "-c", "1", "-C", "3", str(out)])
        data = out.read_bytes()
    if cache_dir is not None:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        (Path(cache_dir) / f"{key}.ogg").write_bytes(data)
    return data


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, timeout=120)
    if done.returncode != 0:
        raise AudioError(f"{cmd[0]} failed: {done.stderr.decode(errors='replace')[:300]}")
