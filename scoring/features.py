"""Features of a written Finnish answer, the raw material of the writing scorer.

Everything is computed from the text (and the task's prompt) with the language tools
behind the ports: spelling and morphology (Voikko), word frequencies (wordfreq) and
language identification (lingua). No feature needs a model from a hub.

References: MTLD, McCarthy & Jarvis (2010), *MTLD, vocd-D, and HD-D*; lexical frequency
profiles, Laufer & Nation (1995); the Finnish national proficiency scale (Opetushallitus,
Yleisten kielitutkintojen taitotasokuvaukset).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field

from .ports import Analyzer, FrequencyList, LanguageIdentifier

# clause-linking words by kind: coordination is A2, subordination B1 and up
COORDINATORS = {"ja", "mutta", "tai", "sekä", "vaan", "eli"}
SUBORDINATORS = {"että", "koska", "kun", "jos", "vaikka", "jotta", "kunnes", "mikäli",
                 "ennen", "sillä"}
RELATIVES = {"joka", "mikä"}
DISCOURSE = {"myös", "lisäksi", "kuitenkin", "siksi", "siis", "toisaalta", "esimerkiksi",
             "ensin", "sitten", "lopuksi", "lisäksi", "sen", "vuoksi", "takia", "mielestäni",
             "yleensä", "ensinnäkin", "toiseksi", "kolmanneksi", "sitä", "vastoin", "näin",
             "ollen", "tämän", "johdosta", "kaiken", "kaikkiaan"}
COLLOQUIAL = {"mä", "sä", "mun", "sun", "mulla", "sulla", "mulle", "sulle", "mut", "mitä",
              "meil", "niinku", "joo", "ok"} - {"mitä"}
CONTENT_CLASSES = {"nimisana", "teonsana", "laatusana", "nimisana_laatusana"}
# cases beyond the everyday nominative, partitive, genitive and the inner local cases:
# essive, translative, abessive, comitative, instructive and the outer local cases
RICH_CASES = {"olento", "tulento", "vajanto", "seuranto", "keinonto", "ulkoolento",
              "ulkoeronto", "ulkotulento"}
FINITE_MOODS = {"indicative", "conditional", "imperative", "potential"}
HDD_SAMPLE = 42
MTLD_THRESHOLD = 0.72
_WORD = re.compile(r"\w+(?:-\w+)*", re.UNICODE)


@dataclass
class Misspelling:
    word: str
    suggestions: list[str]


@dataclass
class TextFeatures:
    n_words: int
    n_sentences: int
    mean_sentence_words: float
    misspelt_share: float
    misspellings: list[Misspelling]
    colloquial: int
    lemma_types: int
    mtld: float
    freq_profile: dict[str, float]  # share of lemmas per Zipf band: k1 (>=5), k2 (4-5), k3 (3-4), rare (<3)
    case_variety: int               # distinct cases used in nouns and adjectives
    non_nominative_share: float
    verb_forms: int                 # distinct mood+tense+person combinations
    passives: int
    conditionals: int
    participles: int
    compounds_share: float
    coordinators: int
    subordinators: int
    relatives: int
    discourse_markers: int
    prompt_coverage: float          # share of the prompt's content lemmas used in the answer
    copied_share: float             # share of the answer's word 4-grams found in the prompt
    finnish_share: float            # share of sentences identified as Finnish
    language: str | None            # the dominant language of the answer
    words_used_well: list[str] = field(default_factory=list)  # less frequent words, spelt right
    # rates and shares that do not grow with the length of the text
    hdd: float = 0.0                # HD-D: expected type share in a 42-word sample (lemmas)
    mean_word_length: float = 0.0   # letters per correctly spelt word
    rich_case_share: float = 0.0    # nominals in rich cases (see RICH_CASES)
    advanced_verb_share: float = 0.0  # verbs in the conditional, passive, participles, MA/E/MINEN forms
    finite_verbs: int = 0
    clause_sentences: int = 0       # sentences with at least three words or a finite verb

    def as_dict(self) -> dict:
        return asdict(self)


def mtld(tokens: list[str], threshold: float = MTLD_THRESHOLD) -> float:
    """Measure of textual lexical diversity: the mean length of stretches of text whose
    type-token ratio stays above ``threshold``, averaged over both directions."""
    if not tokens:
        return 0.0

    def one_way(seq):
        factors, types, count = 0.0, set(), 0
        for tok in seq:
            count += 1
            types.add(tok)
            if len(types) / count <= threshold:
                factors += 1
                types, count = set(), 0
        if count:
            ttr = len(types) / count
            factors += (1 - ttr) / (1 - threshold)
        return len(seq) / factors if factors > 0 else float(len(seq))

    return (one_way(tokens) + one_way(tokens[::-1])) / 2


def hdd(tokens: list[str], sample: int = HDD_SAMPLE) -> float:
    """HD-D (McCarthy & Jarvis 2007, 2010): the expected share of
    distinct types in a random sample of ``sample`` tokens, from the hypergeometric
    distribution. It does not depend on the order of the words, and hardly on length;
    texts shorter than the sample use their own length."""
    n = len(tokens)
    if n == 0:
        return 0.0
    s = min(sample, n)

    def log_comb(a: int, b: int) -> float:
        return math.lgamma(a + 1) - math.lgamma(b + 1) - math.lgamma(a - b + 1)

    total = 0.0
    for count in Counter(tokens).values():
        absent = math.exp(log_comb(n - count, s) - log_comb(n, s)) if n - count >= s else 0.0
        total += 1.0 - absent
    return total / s


def _mean_sentence_words(sentence_words: list[list[str]]) -> float:
    """Words per sentence, leaving out greetings and signatures (one or two words on a line)."""
    full = [len(ws) for ws in sentence_words if len(ws) >= 3] or [len(ws) for ws in sentence_words if ws]
    return sum(full) / len(full) if full else 0.0


def _ngrams(words: list[str], n: int = 4) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def extract(text: str, prompt: str, analyzer: Analyzer, frequencies: FrequencyList,
            languages: LanguageIdentifier | None = None) -> TextFeatures:
    from .evidence import split_sentences

    sentences = split_sentences(text, analyzer)
    sentence_words = [analyzer.words(s) for s in sentences]
    words = [w for ws in sentence_words for w in ws]
    n = len(words)
    # a capitalised unknown word is a name unless it starts a sentence; on a short line
    # of capitalised words (a signature: "Siriporn Chaiyasit") it is a name anyway
    starts = {ws[0] for ws in sentence_words
              if ws and not (len(ws) <= 3 and all(w[:1].isupper() for w in ws))}

    misspellings: list[Misspelling] = []
    lemmas: list[str] = []
    cases: Counter = Counter()
    nominal = non_nominative = 0
    verb_forms: set = set()
    passives = conditionals = participles = compounds = 0
    colloquial = rich = advanced = verbs = finite = 0
    correct_lengths: list[int] = []
    for i, word in enumerate(words):
        lower = word.casefold()
        if lower in COLLOQUIAL:
            colloquial += 1
        analyses = analyzer.analyze(word)
        if not analyses:
            is_name = word[:1].isupper() and word not in starts
            if not is_name and not any(ch.isdigit() for ch in word):
                misspellings.append(Misspelling(word, analyzer.suggest(word)))
            lemmas.append(lower)
            continue
        a = analyses[0]
        lemmas.append(a.get("BASEFORM", lower).casefold())
        correct_lengths.append(sum(ch.isalpha() for ch in word))
        cls = a.get("CLASS", "")
        if cls in ("teonsana", "kieltosana") or "PARTICIPLE" in a:
            verbs += 1
            finite += a.get("MOOD") in FINITE_MOODS
            advanced += (a.get("MOOD") in ("conditional", "MA-infinitive", "E-infinitive",
                                           "MINEN-infinitive") or a.get("PERSON") == "4"
                         or "PARTICIPLE" in a)
        if cls in ("nimisana", "laatusana", "nimisana_laatusana") and "SIJAMUOTO" in a:
            nominal += 1
            cases[a["SIJAMUOTO"]] += 1
            non_nominative += a["SIJAMUOTO"] != "nimento"
            rich += a["SIJAMUOTO"] in RICH_CASES
        if cls == "teonsana" and "MOOD" in a:
            verb_forms.add((a.get("MOOD"), a.get("TENSE"), a.get("PERSON"), a.get("NEGATIVE")))
            passives += a.get("PERSON") == "4"
            conditionals += a.get("MOOD") == "conditional"
        if "PARTICIPLE" in a:
            participles += 1
        if a.get("WORDBASES", "").count("+") - a.get("WORDBASES", "").count("(+") > 1:
            compounds += 1

    lower_words = [w.casefold() for w in words]
    misspelt_set = {m.word for m in misspellings}
    # diversity of the words the writer spelt right: misspellings would count as new words
    known_lemmas = [lem for lem, w in zip(lemmas, words) if w not in misspelt_set]
    content_lemmas = [lem for lem, w in zip(lemmas, words)
                      if (analyzer.analyze(w) or [{}])[0].get("CLASS") in CONTENT_CLASSES]
    bands = Counter()
    for lem in set(content_lemmas):
        z = frequencies.zipf(lem)
        bands["k1" if z >= 5 else "k2" if z >= 4 else "k3" if z >= 3 else "rare"] += 1
    # a misspelt word stays in the denominator as a word not known to be rare: spelling a
    # common word wrong must not make the rest look rarer
    n_types = max(sum(bands.values()) + len({m.word.casefold() for m in misspellings}), 1)
    misspelt_words = {m.word for m in misspellings}
    well = sorted({w for w, lem in zip(words, lemmas)
                   if w not in misspelt_words and lem in set(content_lemmas)
                   and 0 < frequencies.zipf(lem) < 4.0 and len(w) > 4}, key=str.casefold)[:8]

    prompt_words = analyzer.words(prompt) if prompt else []
    prompt_lemmas = set()
    for w in prompt_words:
        a = (analyzer.analyze(w) or [{}])[0]
        if a.get("CLASS") in CONTENT_CLASSES and frequencies.zipf(a.get("BASEFORM", w)) < 6:
            prompt_lemmas.add(a.get("BASEFORM", w).casefold())
    coverage = len(prompt_lemmas & set(lemmas)) / len(prompt_lemmas) if prompt_lemmas else 0.0
    answer_grams = _ngrams(lower_words)
    copied = (len(answer_grams & _ngrams([w.casefold() for w in prompt_words])) / len(answer_grams)
              if answer_grams else 0.0)

    finnish, language = 1.0, "fi"
    if languages is not None and sentences:
        found = [languages.language_of(s) for s in sentences if len(analyzer.words(s)) >= 3]
        if found:
            finnish = sum(f == "fi" for f in found) / len(found)
            language = Counter(found).most_common(1)[0][0]
        elif words:
            language = languages.language_of(text)
            finnish = 1.0 if language == "fi" else 0.0

    return TextFeatures(
        n_words=n, n_sentences=len(sentences),
        mean_sentence_words=_mean_sentence_words(sentence_words),
        misspelt_share=len(misspellings) / n if n else 0.0, misspellings=misspellings,
        colloquial=colloquial, lemma_types=len(set(lemmas)), mtld=mtld(known_lemmas),
        freq_profile={k: bands[k] / n_types for k in ("k1", "k2", "k3", "rare")},
        case_variety=len(cases), non_nominative_share=non_nominative / nominal if nominal else 0.0,
        verb_forms=len(verb_forms), passives=passives, conditionals=conditionals,
        participles=participles, compounds_share=compounds / n if n else 0.0,
        coordinators=sum(w in COORDINATORS for w in lower_words),
        subordinators=sum(w in SUBORDINATORS for w in lower_words),
        relatives=sum(lem in RELATIVES for lem in lemmas),
        discourse_markers=sum(w in DISCOURSE for w in lower_words),
        prompt_coverage=coverage, copied_share=copied, finnish_share=finnish, language=language,
        words_used_well=well,
        hdd=hdd(known_lemmas),
        mean_word_length=(sum(correct_lengths) / len(correct_lengths)) if correct_lengths else 0.0,
        rich_case_share=rich / nominal if nominal else 0.0,
        advanced_verb_share=advanced / verbs if verbs else 0.0,
        finite_verbs=finite,
        clause_sentences=sum(1 for ws in sentence_words if len(ws) >= 3) or len(sentences))
