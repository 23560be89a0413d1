"""Search across the three languages of the Katso material.

Every text is indexed in its own language under *keys*:

- Finnish through Voikko: each word's base forms (``juhlissa`` → ``juhla``), and for a
  compound its parts and their runs (``syntymäpäiväkakku`` → ``syntymä``, ``päivä``,
  ``kakku``, ``syntymäpäivä``, ``päiväkakku``), so that a search for a part finds the whole;
- Swedish and English through the Snowball stemmers (``fester`` → ``fest``,
  ``candles`` → ``candl``);
- in every language the lower-cased word itself;
- every key also without its diacritics, a little weaker (``kynttilä`` → ``kynttila``), so
  that a word typed without ä, ö or å (a keyboard without them) still finds the material.

A query word is turned into keys in all three languages at once (the searcher need not say
which language they type), and a material matches where any key meets a key of the same
language. Words Voikko does not know (names such as *Hanukka* in an inflected form) still
meet by prefix (the query word starts with an indexed word of four letters or more, or, for
the word being typed, an indexed word starts with it) or as the end of a compound
(``tårtor`` → ``tårt`` ends ``födelsedagstårta``; ``kynttelikössä`` → ``kynttelikkö`` ends
``hanukkakynttelikkö``).

Scoring: for each query word its best match (a title counts more than a description, an
exact base form more than a compound part or a prefix); a material's score is the sum, and
materials that match more of the query words come first.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

LANGS = ("fi", "sv", "en")
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", re.UNICODE)
MAX_QUERY_WORDS = 8
# how much a match in each field counts
FIELD_WEIGHTS = {"title": 3.0, "short": 1.5, "body": 1.0}
# how good each kind of key match is
EXACT, PART, PREFIX = 1.0, 0.6, 0.5
FOLDED = 0.9  # a key met only without its diacritics counts a little less


def fold(word: str) -> str:
    """The word without diacritics: ``kynttilä`` → ``kynttila``, ``tårta`` → ``tarta``."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass
class Document:
    """One material: ``kind`` (category, card, worldview, page), its ``slug`` and its texts
    per language and field (``{"fi": {"title": "...", "short": "...", "body": "..."}}``)."""

    kind: str
    slug: str
    texts: dict[str, dict[str, str]]
    keys: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict, repr=False)
    words: dict[str, set[str]] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Hit:
    kind: str
    slug: str
    score: float
    matched: int


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text or "")]


class Normaliser:
    """Words to keys per language; Voikko and the stemmers are made on first use."""

    def __init__(self, analyzer=None):
        self._analyzer = analyzer
        self._stemmers: dict[str, object] = {}
        self._cache: dict[tuple[str, str], dict[str, float]] = {}

    @property
    def analyzer(self):
        if self._analyzer is None:
            from scoring.adapters.voikko import VoikkoAnalyzer

            self._analyzer = VoikkoAnalyzer()
        return self._analyzer

    def _stem(self, lang: str, word: str) -> str:
        if lang not in self._stemmers:
            import snowballstemmer

            self._stemmers[lang] = snowballstemmer.stemmer({"sv": "swedish", "en": "english"}[lang])
        return self._stemmers[lang].stemWord(word)

    def keys(self, lang: str, word: str) -> dict[str, float]:
        """``{key: quality}`` of one lower-cased word in ``lang``."""
        cached = self._cache.get((lang, word))
        if cached is not None:
            return cached
        keys = {word: EXACT}
        if lang == "fi":
            for analysis in self.analyzer.analyze(word):
                base = (analysis.get("BASEFORM") or "").lower()
                if base:
                    keys[base] = EXACT
                for part in _compound_runs(analysis.get("WORDBASES") or ""):
                    keys.setdefault(part, PART)
        else:
            keys.setdefault(self._stem(lang, word), EXACT)
        for key, quality in list(keys.items()):
            keys.setdefault(fold(key), quality * FOLDED)
        if len(self._cache) > 200_000:
            self._cache.clear()
        self._cache[(lang, word)] = keys
        return keys


def _compound_runs(wordbases: str) -> list[str]:
    """``+syntymä(syntymä)+päivä(päivä)+kakku(kakku)`` → the parts' base forms and every
    run of two or more of them that is not the whole word."""
    parts = [p.lower() for p in re.findall(r"\(([^()]+)\)", wordbases)]
    parts = [p for p in parts if len(p) > 1]
    if len(parts) < 2:
        return []
    runs = list(parts)
    for size in range(2, len(parts)):
        runs += ["".join(parts[i:i + size]) for i in range(len(parts) - size + 1)]
    return runs


class SearchIndex:
    def __init__(self, documents: list[Document], normaliser: Normaliser | None = None):
        self.normaliser = normaliser or Normaliser()
        self.documents = documents
        for doc in documents:
            self._index(doc)

    def _index(self, doc: Document) -> None:
        for lang, fields in doc.texts.items():
            if lang not in LANGS:
                continue
            seen = doc.words.setdefault(lang, set())
            for field_name, text in fields.items():
                weight = FIELD_WEIGHTS[field_name]
                for word in words(text):
                    for key, quality in self.normaliser.keys(lang, word).items():
                        seen.add(key)
                        old = doc.keys.get((lang, key), (0.0, 0.0))
                        doc.keys[(lang, key)] = max(old, (weight * quality, quality))

    def search(self, query: str, limit: int = 50) -> list[Hit]:
        terms = list(dict.fromkeys(words(query)))[:MAX_QUERY_WORDS]
        if not terms:
            return []
        term_keys = [{lang: self.normaliser.keys(lang, t) for lang in LANGS} for t in terms]
        hits = []
        for doc in self.documents:
            score, matched = 0.0, 0
            for i, (term, per_lang) in enumerate(zip(terms, term_keys)):
                best = self._best(doc, term, per_lang, typing=(i == len(terms) - 1))
                if best:
                    score += best
                    matched += 1
            if matched:
                hits.append(Hit(doc.kind, doc.slug, round(score, 3), matched))
        hits.sort(key=lambda h: (-h.matched, -h.score, h.kind, h.slug))
        return hits[:limit]

    @staticmethod
    def _best(doc: Document, term: str, per_lang: dict, typing: bool) -> float:
        best = 0.0
        for lang, keys in per_lang.items():
            for key, quality in keys.items():
                found = doc.keys.get((lang, key))
                if found:
                    best = max(best, found[0] * quality)
            if best:
                continue
            for word in doc.words.get(lang, ()):
                found = doc.keys.get((lang, word))
                if not found:
                    continue
                if (len(word) >= 4 and len(term) > len(word) and term.startswith(word)) or \
                        (typing and len(term) >= 3 and word.startswith(term)):
                    best = max(best, found[0] * PREFIX)
                elif any(len(key) >= 4 and len(word) > len(key) and word.endswith(key) for key in keys):
                    # the last part of a compound the dictionary does not know
                    best = max(best, found[0] * PART)
        return best
