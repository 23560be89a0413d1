"""Voikko (Debian libvoikko1 + voikko-fi, PyPI libvoikko) behind the Analyzer port."""
from __future__ import annotations

import threading

_CACHE_LIMIT = 100_000


class VoikkoAnalyzer:
    """One Voikko handle per thread (libvoikko handles are not thread-safe), with the
    spellings and analyses of words it has seen kept, since learner texts repeat words."""

    def __init__(self):
        self._local = threading.local()

    def _state(self):
        state = getattr(self._local, "state", None)
        if state is None:
            import libvoikko

            state = (libvoikko.Voikko("fi"), {}, {})
            self._local.state = state
        return state

    def sentences(self, text: str) -> list[str]:
        v = self._state()[0]
        return [s.sentenceText.strip() for s in v.sentences(text) if s.sentenceText.strip()]

    def words(self, text: str) -> list[str]:
        v = self._state()[0]
        return [t.tokenText for t in v.tokens(text) if t.tokenTypeName == "WORD"]

    def spell(self, word: str) -> bool:
        v, spelt, _ = self._state()
        if word not in spelt:
            if len(spelt) > _CACHE_LIMIT:
                spelt.clear()
            spelt[word] = bool(v.spell(word))
        return spelt[word]

    def suggest(self, word: str) -> list[str]:
        return list(self._state()[0].suggest(word))[:5]

    def analyze(self, word: str) -> list[dict]:
        v, _, analysed = self._state()
        if word not in analysed:
            if len(analysed) > _CACHE_LIMIT:
                analysed.clear()
            analysed[word] = [dict(a) for a in v.analyze(word)]
        return analysed[word]

    def syllables(self, word: str) -> list[str]:
        return [s for s in self._state()[0].hyphenate(word).split("-") if s]
