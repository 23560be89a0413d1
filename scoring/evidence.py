"""What of an answer is the learner's own, on-task language: the evidence a level rests on.

Before any feature is measured the answer is cut into sentences (lines first, then
Voikko's sentence splitting) and each sentence is classed:

- **repeated**: most of its words (``REPEAT_SHARE``) are covered by word 4-grams already
  seen earlier in the answer, or it equals an earlier sentence. Pasting a text twice,
  repeating one sentence until the box is full, or saying the same phrase over and over
  adds nothing: repeated material counts once.
- **copied**: most of its words are covered by 4-grams of the test itself (the task's
  prompt, the reading texts and other Finnish material the job seeker was shown). Copied
  material is not the learner's own language.
- **off-task**: a run of sentences, together at least ``OFF_TASK_MIN_WORDS`` words, none of
  which uses a word of the task's vocabulary (the prompt's content words and, for tasks of
  the bank, words that answers to the task use; matched on base forms, compound parts and
  word starts, so recognition errors in speech still match). A single stray sentence is
  kept: a learner may say something aside.

What remains is the *own* text. The flags say what was set aside and how much, so the
scorer can name it to the learner, lower its confidence and send the answer to a coach.
A **word list** (many words, hardly a finite verb, no sentences) is recognised too: it is
not writing. References: DIALANG and YKI rating guides treat memorised, copied and
off-task material as not ratable evidence.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Iterable

from .ports import Analyzer, FrequencyList

REPEAT_SHARE = 0.6
FLAG_SHARE = 0.1             # set-aside material named (flagged) from this share of the words
COPY_SHARE = 0.8
COPY_MIN_WORDS = 8
OFF_TASK_MIN_WORDS = 30
OFF_TASK_SHARE = 0.3         # a passage sharing less of its topic words with the task is off it
ON_TASK_SHARE = 0.34         # a sentence sharing this much is on it, whatever surrounds it
TOPICAL_ZIPF = 4.6          # words more frequent than this say nothing about the topic
PREFIX = 6                   # word starts that match (tolerant of endings)
FUZZY_PREFIX = 5             # ... and of what a speech recogniser heard, with
FUZZY = 0.8                  # this similarity (difflib's ratio) to a task word
FINITE_MOODS = {"indicative", "conditional", "imperative", "potential"}
CONTENT_CLASSES = {"nimisana", "teonsana", "laatusana", "nimisana_laatusana"}
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)


def tokens(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def ngrams(words: list[str], n: int = 4) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def _covered(words: list[str], seen: set, n: int = 4) -> int:
    """How many of ``words`` lie inside an n-gram that is in ``seen``."""
    hit = [False] * len(words)
    for i in range(len(words) - n + 1):
        if tuple(words[i:i + n]) in seen:
            for j in range(i, i + n):
                hit[j] = True
    return sum(hit)


class TestMaterial:
    """Word 4-grams of the Finnish texts the test shows (reading texts, transcripts of
    listening, prompts): an answer that reproduces them is not the learner's own."""

    def __init__(self, texts: Iterable[str] = ()):
        self.grams: set[tuple[str, ...]] = set()
        for t in texts:
            self.grams |= ngrams(tokens(t))

    def __len__(self) -> int:
        return len(self.grams)

    @classmethod
    def from_item_bank(cls) -> "TestMaterial":
        """Every Finnish text of the bank's items (yes/no pseudowords aside)."""
        from item_bank.content import finnish_texts, load_content

        return cls(t for item in load_content() if item.kind != "yes_no" for t in finnish_texts(item))


@dataclass
class Sentence:
    text: str
    words: list[str]
    status: str = "own"      # own | repeated | copied | off_task


@dataclass
class Evidence:
    sentences: list[Sentence]
    word_list: bool = False
    flags: list[str] = field(default_factory=list)

    @property
    def own(self) -> list[Sentence]:
        return [s for s in self.sentences if s.status == "own"]

    @property
    def n_words(self) -> int:
        return sum(len(s.words) for s in self.sentences)

    @property
    def n_own_words(self) -> int:
        return sum(len(s.words) for s in self.own)

    def share(self, status: str) -> float:
        n = self.n_words
        return sum(len(s.words) for s in self.sentences if s.status == status) / n if n else 0.0

    def own_text(self) -> str:
        return "\n".join(s.text for s in self.own)

    def as_dict(self) -> dict:
        return {"words": self.n_words, "own_words": self.n_own_words,
                **{f"{k}_share": round(self.share(k), 3) for k in ("repeated", "copied", "off_task")},
                "word_list": self.word_list}


def split_sentences(text: str, analyzer: Analyzer) -> list[str]:
    """Lines first (a list typed one item a line is not one sentence), then Voikko's
    sentence boundaries within each line."""
    out = []
    for line in text.splitlines():
        if line.strip():
            out.extend(analyzer.sentences(line) or [line.strip()])
    return out


class TaskVocabulary:
    """The words that belong to a task: base forms and compound parts, and their starts.
    ``fuzzy`` (for what a speech recogniser heard) also takes words within a letter or
    two of a task word (similarity ``FUZZY`` or more), and shorter starts."""

    def __init__(self, lemmas: Iterable[str] = (), fuzzy: bool = False):
        self.lemmas = {w.casefold() for w in lemmas if len(w) >= 3}
        self.fuzzy = fuzzy
        self.prefix = FUZZY_PREFIX if fuzzy else PREFIX
        self.prefixes = {w[:self.prefix] for w in self.lemmas if len(w) >= self.prefix}

    def __bool__(self) -> bool:
        return bool(self.lemmas)

    def share(self, words: list[set[str]]) -> float:
        """The share of topical words (each a set of forms) that belong to the task."""
        return sum(self.matches(w) for w in words) / len(words) if words else 0.0

    def matches(self, forms: Iterable[str]) -> bool:
        for form in forms:
            if form in self.lemmas or (len(form) >= self.prefix and form[:self.prefix] in self.prefixes):
                return True
            if self.fuzzy and len(form) >= 5 and difflib.get_close_matches(form, self.lemmas, n=1, cutoff=FUZZY):
                return True
        return False


def word_forms(word: str, analyzer: Analyzer) -> tuple[list[str], dict]:
    """The base form, compound parts and surface form of a word, and its first analysis."""
    analyses = analyzer.analyze(word)
    a = analyses[0] if analyses else {}
    forms = {word.casefold()}
    if a.get("BASEFORM"):
        forms.add(a["BASEFORM"].casefold())
    for part in re.findall(r"\(([^)+]+)\)", a.get("WORDBASES", "")):
        if len(part) >= 3:
            forms.add(part.casefold())
    return sorted(forms), a


def topical_words(text: str, analyzer: Analyzer, frequencies: FrequencyList) -> list[set[str]]:
    """The content words of a text that say something about its topic (not the most
    common words of the language), each as the set of its base form, compound parts and
    surface form. A word that could also be read as a common word ("vuotta": vuo or
    vuosi, "noin": noki or noin) says nothing; nor do names and misspellings, which
    Voikko does not know."""
    out: list[set[str]] = []
    for word in analyzer.words(text):
        analyses = analyzer.analyze(word)
        if not analyses or analyses[0].get("CLASS") not in CONTENT_CLASSES:
            continue
        bases = {a.get("BASEFORM", word).casefold() for a in analyses}
        if any(frequencies.zipf(b) >= TOPICAL_ZIPF for b in bases):
            continue
        forms, _ = word_forms(word, analyzer)
        topical = {f for f in forms if frequencies.zipf(f) < TOPICAL_ZIPF}
        if topical:
            out.append(topical)
    return out


def topical_lemmas(text: str, analyzer: Analyzer, frequencies: FrequencyList) -> set[str]:
    """All forms of :func:`topical_words`, for building a task's vocabulary."""
    return set().union(*topical_words(text, analyzer, frequencies))


def gather(text: str, analyzer: Analyzer, frequencies: FrequencyList, *,
           prompt: str = "", material: TestMaterial | None = None,
           vocabulary: TaskVocabulary | None = None) -> Evidence:
    sentences = [Sentence(s, tokens(s)) for s in split_sentences(text, analyzer)]
    sentences = [s for s in sentences if s.words]
    prompt_grams = ngrams(tokens(prompt))
    material_grams = material.grams if material is not None else set()

    seen: set[tuple[str, ...]] = set()
    seen_sentences: set[tuple[str, ...]] = set()
    for s in sentences:
        key = tuple(s.words)
        n = len(s.words)
        if key in seen_sentences:
            s.status = "repeated"
        elif n >= 4 and _covered(s.words, seen) >= REPEAT_SHARE * n:
            s.status = "repeated"
        elif n >= COPY_MIN_WORDS and _covered(s.words, prompt_grams | material_grams) >= COPY_SHARE * n:
            s.status = "copied"
        else:
            inner = _inner_repeat(s.words)
            if inner < n:          # one sentence going round in a loop: keep its first turn
                s.words = s.words[:inner]
        seen_sentences.add(key)
        seen |= ngrams(s.words)

    if vocabulary:
        _mark_off_task(sentences, analyzer, frequencies, vocabulary)

    ev = Evidence(sentences)
    ev.word_list = _is_word_list(ev.own, analyzer)
    for status, flag in (("repeated", "repetition"), ("copied", "copied"), ("off_task", "off_task")):
        # a greeting said twice is set aside but not worth naming
        if ev.share(status) >= FLAG_SHARE:
            ev.flags.append(flag)
    if ev.word_list:
        ev.flags.append("word_list")
    return ev


def _inner_repeat(words: list[str], n: int = 4) -> int:
    """Where a sentence starts repeating itself (its own 4-grams come again), or its length."""
    seen: set = set()
    for i in range(len(words) - n + 1):
        g = tuple(words[i:i + n])
        if g in seen:
            rest = words[i:]
            # only a loop, not one recurring phrase: most of the rest is repetition
            if _covered(rest, seen) >= REPEAT_SHARE * len(rest):
                return i
        seen.add(g)
    return len(words)


def _mark_off_task(sentences: list[Sentence], analyzer: Analyzer, frequencies: FrequencyList,
                   vocabulary: TaskVocabulary) -> None:
    """Passages that are about something else are off-task.

    A passage is a run of at least two sentences and ``OFF_TASK_MIN_WORDS`` words, with
    at least four topical words, that
    - does not speak as the writer to the reader (no first- or second-person forms: a
      message, an application or an opinion says "I", "we" or "you"),
    - shares less than ``OFF_TASK_SHARE`` of its topical words with the task, pooled over
      the passage (one sentence of a paragraph on football may mention "minutes"),
    - begins and ends with sentences that have a topic of their own and are not on the
      task by themselves (a greeting or a signature is never drawn in).
    The longest such passages are taken first. Lexical overlap alone is a weak sign of
    topic; a passage that neither shares the task's words nor addresses anyone is what
    an unrelated paragraph looks like."""
    own = [(i, s) for i, s in enumerate(sentences) if s.status == "own"]
    facts = []
    for _, s in own:
        topical = topical_words(s.text, analyzer, frequencies)
        facts.append((len(s.words), len(topical), sum(vocabulary.matches(w) for w in topical),
                      _personal(s, analyzer)))
    taken = [False] * len(own)
    # passages whose first and last sentences share nothing with the task are taken
    # first; then those whose edges share a little
    for strict in (True, False):
        while True:
            best = None
            for a in range(len(own)):
                if taken[a] or not _edge(facts[a], strict):
                    continue
                words = topical = matched = 0
                for b in range(a, len(own)):
                    if taken[b] or facts[b][3]:
                        break
                    words += facts[b][0]
                    topical += facts[b][1]
                    matched += facts[b][2]
                    if (b > a and _edge(facts[b], strict) and words >= OFF_TASK_MIN_WORDS
                            and topical >= 4 and matched < OFF_TASK_SHARE * topical
                            and (best is None or words > best[0])):
                        best = (words, a, b)
            if best is None:
                break
            for k in range(best[1], best[2] + 1):
                taken[k] = True
                own[k][1].status = "off_task"
    # a passage takes in the impersonal sentences right beside it that share too little
    # with the task to be on it by themselves: a paragraph about spring that mentions May
    # is no more about the task because the task mentions a start date
    changed = True
    while changed:
        changed = False
        for k, (_, s) in enumerate(own):
            if taken[k] or not _edge(facts[k], strict=False):
                continue
            if any(0 <= j < len(own) and taken[j] for j in (k - 1, k + 1)):
                taken[k], changed = True, True
                s.status = "off_task"


def _edge(fact: tuple, strict: bool) -> bool:
    """Can this sentence begin or end an off-task passage (or join one from beside it)?
    A sentence of four words or more with a topic of its own that shares nothing with
    the task (``strict``) or too little to be on the task by itself."""
    n, topical, matched, personal = fact
    if personal or n < 4 or topical == 0:
        return False
    return matched == 0 if strict else matched < ON_TASK_SHARE * topical


PERSONAL = {"1", "2"}
PERSONAL_POSSESSIVE = {"1s", "1p", "2s", "2p"}
PERSONAL_PRONOUNS = {"minä", "sinä", "me", "te", "mä", "sä", "meidän", "teidän", "minun", "sinun"}


def _personal(s: Sentence, analyzer: Analyzer) -> bool:
    """Does the sentence speak in the first or second person? Voikko's first reading of a
    word decides ("ajan" is first the genitive of "aika", not "I drive"), and imperatives
    do not count: Voikko reads "nouse" or "tuo" as imperatives too."""
    for w in s.words:
        if w in PERSONAL_PRONOUNS:
            return True
        analyses = analyzer.analyze(w)[:1]
        if analyses and any(
                (a.get("PERSON") in PERSONAL and a.get("CLASS") in ("teonsana", "kieltosana")
                 and a.get("MOOD") in ("indicative", "conditional", "potential"))
                or a.get("POSSESSIVE") in PERSONAL_POSSESSIVE for a in analyses):
            return True
    return False


def _is_word_list(own: list[Sentence], analyzer: Analyzer) -> bool:
    """Many words without sentence shape: most items between commas, full stops and line
    breaks are single words, or the words run on with (almost) no finite verb among
    them. A telegraphic A1 message ("Lauantai meilla juhla. Loppu kello 22.") is short
    sentences, not a list."""
    words = [w for s in own for w in s.words]
    if len(words) < 8:
        return False
    units = [len(tokens(u)) for s in own for u in re.split(r"[,;.!?\n]", s.text) if tokens(u)]
    if len(units) >= 6 and sum(1 for u in units if u == 1) / len(units) >= 0.6:
        return True
    finite = 0
    for w in words:
        a = (analyzer.analyze(w) or [{}])[0]
        if a.get("CLASS") in ("teonsana", "kieltosana") and a.get("MOOD") in FINITE_MOODS:
            finite += 1
    return finite / len(words) < 0.04 and sum(units) / len(units) >= 8
