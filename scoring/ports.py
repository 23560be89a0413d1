"""The small interfaces the scorers need from language tools (adapters implement them)."""
from __future__ import annotations

from typing import Protocol


class Analyzer(Protocol):
    """Finnish morphology and spelling (Voikko in production, a fake in unit tests)."""

    def sentences(self, text: str) -> list[str]: ...

    def words(self, text: str) -> list[str]: ...

    def spell(self, word: str) -> bool: ...

    def suggest(self, word: str) -> list[str]: ...

    def analyze(self, word: str) -> list[dict]: ...

    def syllables(self, word: str) -> list[str]: ...


class LanguageIdentifier(Protocol):
    def language_of(self, text: str) -> str | None:
        """ISO 639-1 code of the text's language (fi, sv, en, et, ru, …) or None."""
        ...


class FrequencyList(Protocol):
    def zipf(self, word: str) -> float:
        """Zipf frequency of a Finnish word (0 when unknown)."""
        ...
