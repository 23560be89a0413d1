"""wordfreq (Finnish Zipf frequencies) and lingua (language identification) behind ports.

Both load data on first use (wordfreq ~0.6 s, lingua ~1.5 s for the few languages
asked), so they are made lazily, once per process.
"""
from __future__ import annotations

import threading

LANGUAGES = ("fi", "sv", "en", "et", "ru", "de")


class WordfreqList:
    def zipf(self, word: str) -> float:
        from wordfreq import zipf_frequency

        return float(zipf_frequency(word, "fi"))


class LinguaIdentifier:
    _lock = threading.Lock()
    _detector = None

    def _get(self):
        with self._lock:
            if LinguaIdentifier._detector is None:
                from lingua import IsoCode639_1, LanguageDetectorBuilder

                codes = [getattr(IsoCode639_1, c.upper()) for c in LANGUAGES]
                LinguaIdentifier._detector = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()
            return LinguaIdentifier._detector

    def language_of(self, text: str) -> str | None:
        found = self._get().detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found is not None else None
