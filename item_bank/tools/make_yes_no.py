"""Generate the yes/no vocabulary items ("is this a Finnish word?") from word lists.

Run from the repository root (/work/main):

    .venv/bin/python -m item_bank.tools.make_yes_no            # (re)write the YAML file
    .venv/bin/python -m item_bank.tools.make_yes_no --check    # exit 1 if the file is stale
    .venv/bin/python -m item_bank.tools.make_yes_no --dry-run  # print the summary only

It writes ``item_bank/content/vocabulary_yes_no_generated.yaml``. That file is never edited
by hand: change this script (usually the exclusion lists below) and run it again. The output
is reproducible: it depends only on SEED, the settings below, the wordfreq data
(``wordfreq`` 3.1.x ships it in the package) and the Voikko Finnish dictionary. Every
exclusion only skips a word, it does not reshuffle the rest, so excluding one word after
review replaces just that word. (Adding a yes/no word to another content file changes the
candidate pools and so the draw: run the script again and review the new words.)

Needs ``wordfreq`` (``pip install wordfreq``) and ``libvoikko`` with the Finnish dictionary.

Real words
    Finnish words of wordfreq's list down to Zipf 3.0, kept when Voikko reads the word only
    as the dictionary base form of a plain content word (every analysis has BASEFORM equal
    to the word and CLASS nimisana, laatusana, teonsana or nimisana_laatusana; so no names,
    pronouns, numerals, abbreviations, inflected forms or participles), it is not a compound,
    it is at least 3 letters long, and it is not more frequent in English or Swedish than in
    Finnish (wordfreq Zipf 'en'/'sv' > 'fi' means a foreign word), and it contains none of
    the RUDE strings. The real words must also
    look like the pseudowords (native_shape): native letters only, no initial consonant
    cluster, vowel harmony, a final vowel or n/l/r/s/t. Otherwise a test taker could say
    "yes" to every word with a loan-word look (b, f, g, initial "tr-", "analyysi") and
    "no" to nothing, because pseudowords never have that look. Words already used as a
    yes/no word in another content file and the words of REAL_EXCLUDE are skipped.

    The CEFR level comes from the word's Zipf frequency in wordfreq's Finnish list
    (ZIPF_BANDS): A1 >= 5.0, A2 4.5-5.0, B1 4.0-4.5, B2 3.5-4.0, C1 3.0-3.5 (lower bound
    included). Within a level the words are drawn at random (seeded), by part of speech in
    the proportions of POS_SHARE.

Pseudowords
    Built from Finnish syllables (CV, CVV, CVC; the first one may lack the consonant), with
    vowel harmony (back a o u or front ä ö y, neutral e i with both), a single consonant at
    the start, only the consonant clusters of MEDIAL_CLUSTERS inside the word, and a final
    vowel or n/l/s (r rarely; no final t, which reads as a plural or a participle); from A2
    up some get a common derivational ending (SUFFIXES: -ja, -nen, -tus, -mus, -ttaa, -staa,
    -sto, -inen, -llinen, ...). Each pseudoword's length is drawn from the lengths of the
    level's real-word candidates, so pseudowords grow with the level as the real words do
    (A1 mean 5.7 letters, C1 7.2) and length tells nothing about the key. A candidate is
    kept only if Voikko's spell() rejects it and analyze() finds nothing, wordfreq does not
    know it (Zipf 0), it is none of the real words, it is not within edit distance 1
    (Damerau: one letter deleted, inserted, replaced, or two neighbours swapped) of any of
    the NEIGHBOUR_TOP_N most frequent wordfreq words or of a real-word candidate, nor of
    any single word Voikko's suggest() offers for it (inflected forms and compounds
    included), so it is not a misspelling of a real word; it does not end like an inflected
    form (INFLECTED_ENDINGS), has no reduplicated syllable onset (ka-ka), contains none of
    the RUDE strings and is not in PSEUDO_EXCLUDE (looked at and found too close to a real,
    slang or dialect word, or too odd).
"""
from __future__ import annotations

import argparse
import random
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import yaml

SEED = 20240611
PER_LEVEL = 18  # real words per level; the same number of pseudowords
LEVELS = ("A1", "A2", "B1", "B2", "C1")

# CEFR level by wordfreq Zipf frequency in Finnish (lower bound included, upper excluded)
ZIPF_BANDS = {"A1": (5.0, 99.0), "A2": (4.5, 5.0), "B1": (4.0, 4.5), "B2": (3.5, 4.0),
              "C1": (3.0, 3.5)}
WORDLIST_N = 100_000        # how far down wordfreq's list to look for real words
NEIGHBOUR_TOP_N = 50_000    # pseudowords must not be one edit from these words

CONTENT_CLASSES = {"nimisana": "noun", "laatusana": "adjective",
                   "nimisana_laatusana": "adjective", "teonsana": "verb"}
# share of the real words of a level by part of speech (rounded; nouns take the rest)
POS_SHARE = {"verb": 0.28, "adjective": 0.22}

OUT = Path(__file__).resolve().parents[1] / "content" / "vocabulary_yes_no_generated.yaml"

# Real words dropped after review by eye, with the reason. The list only has to name words
# the sampler would otherwise pick.
REAL_EXCLUDE = {
    "eri": "indeclinable, used only before a noun",
    "viime": "indeclinable, used only before a noun",
    "kaikki": "pronoun (quantifier)",
    "moni": "pronoun (quantifier)",
    "sama": "pronoun-like (demonstrative adjective)",
    "jokainen": "pronoun (quantifier)",
    "millainen": "interrogative pronoun",
    "tosi": "mostly the colloquial intensifier 'really'",
    "välinen": "bound: used after a genitive or in compounds (-välinen)",
    "puoleinen": "bound: used in compounds (-puoleinen)",
    "aiheinen": "bound: used in compounds (-aiheinen)",
    "saava": "participle-like, bound (-saava)",
    "höpö": "only in the set phrase 'höpö höpö'",
    "myöhä": "archaic, only in fixed expressions (myöhään)",
    "mirri": "colloquial pet word",
}

# Pseudowords dropped after review by eye: too close to a real, slang or dialect word.
PSEUDO_EXCLUDE = {
    "äkky": "reads as a misspelling of äkki (äkkiä, äkkilähtö)",
    "jyidy": "odd: d after a diphthong, nothing Finnish looks like it",
    "ästynä": "reads as the essive (-nä) of a word",
    "vööte": "vöö is the dialect form of vyö",
    "vööki": "vöö is the dialect form of vyö",
    "vatutsaralas": "starts like vatuttaa (colloquial, rude)",
    "sohuurisanen": "odd: too many syllables for its parts",
    "ylkäsyjävän": "reads as the genitive of a participle (-vän)",
    "vässe": "too close to colloquial väsy (tired)",
}

# no item, real or made up, may contain these (rude or loaded words)
RUDE = ("vittu", "vitu", "vitt", "kusi", "kuse", "kuser", "paska", "perse", "pers", "huora",
        "kulli", "pillu", "pimpp", "kyrp", "homo", "neeker", "natsi", "mulkk", "runkk", "panna",
        "nussi", "seksi", "porno", "tissi", "pissa", "kakka", "hintti", "ryss", "mussu",
        "huor", "lutka", "narttu", "pylly", "peppu", "kikkel", "kives", "pieru", "vagin")

# --- phonotactics --------------------------------------------------------------------------

BACK, FRONT, NEUTRAL = set("aou"), set("äöy"), set("ei")
FINNISH_VOWELS = BACK | FRONT | NEUTRAL
NATIVE_CONSONANTS = set("dhjklmnprstv") | {"g"}  # g only in "ng"
FINAL_LETTERS = FINNISH_VOWELS | set("nlrst")

INITIAL_CONSONANTS = {"k": 10, "t": 9, "p": 8, "s": 9, "h": 6, "m": 7, "n": 4, "l": 6,
                      "r": 4, "v": 7, "j": 4}
MEDIAL_SINGLE = {"k": 8, "t": 9, "p": 5, "s": 8, "h": 3, "m": 6, "n": 7, "l": 8, "r": 7,
                 "v": 6, "j": 3, "d": 1}
# clusters that occur inside native Finnish words (coda + onset)
MEDIAL_CLUSTERS = {"kk": 6, "pp": 4, "tt": 7, "ss": 5, "mm": 3, "nn": 4, "ll": 5, "rr": 2,
                   "nk": 4, "ng": 1, "mp": 3, "nt": 5, "lt": 3, "rt": 3, "lk": 3, "rk": 3,
                   "lp": 1, "rp": 1, "lv": 2, "rv": 2, "lm": 1, "rm": 1, "rn": 1, "ht": 3,
                   "hk": 2, "hj": 1, "hm": 1, "hn": 1, "hl": 1, "hr": 1, "hv": 1, "sk": 3,
                   "st": 4, "ts": 2, "lj": 1, "rj": 1}
CODA_WEIGHTS = {c: sum(w for k, w in MEDIAL_CLUSTERS.items() if k[0] == c)
                for c in sorted({k[0] for k in MEDIAL_CLUSTERS})}
LONG = {"back": ["aa", "oo", "uu", "ee", "ii"], "front": ["ää", "öö", "yy", "ee", "ii"]}
DIPHTHONG_FIRST = {"back": ["ai", "oi", "ui", "ei", "au", "ou", "eu", "iu", "ie", "uo"],
                   "front": ["äi", "öi", "yi", "ei", "äy", "öy", "ey", "ie", "yö"]}
DIPHTHONG_LATER = {"back": ["ai", "oi", "ui", "ei", "au", "ou"],
                   "front": ["äi", "öi", "yi", "ei", "äy", "öy"]}
SHORT = {"back": {"a": 9, "o": 5, "u": 5, "e": 4, "i": 6},
         "front": {"ä": 8, "ö": 2, "y": 4, "e": 7, "i": 6}}
# no final t: after a vowel it reads as a plural (lökät) or a participle (-ut, -yt)
FINAL_CODA = {"": 70, "n": 6, "s": 14, "l": 2, "r": 2}

# derivational endings (back form; the front form swaps a->ä, o->ö, u->y), attached to a
# stem ending in a short vowel, by the level from which they are used
SUFFIXES = {
    "A2": ["ja", "nen"],
    "B1": ["ja", "nen", "tus", "mus", "ttaa", "kas"],
    "B2": ["ja", "nen", "tus", "mus", "ttaa", "staa", "sto", "inen", "llinen"],
    "C1": ["llinen", "inen", "ttaja", "staa", "ttaa", "sto", "mus", "tus", "isuus", "tella"],
}
# probability of a derivational ending by level; the length of each pseudoword is drawn
# from the lengths of the level's real-word candidates, so length grows with the level as
# it does for the real words and tells nothing about the key
LEVEL_SUFFIX_P = {"A1": 0.0, "A2": 0.2, "B1": 0.35, "B2": 0.45, "C1": 0.55}
# pseudowords must not look like inflected forms: real words in the test are base forms
INFLECTED_ENDINGS = ("ssa", "ssä", "sta", "stä", "lla", "llä", "lta", "ltä", "lle", "ksi",
                     "tta", "ttä", "aan", "ään", "een", "iin", "oon", "uun", "yyn", "öön",
                     "nut", "nyt", "ut", "yt", "vat", "vät", "mme", "tte", "isi", "kaan",
                     "kään", "han", "hän", "pa", "pä", "ni", "si", "nsa", "nsä", "ine", "sti",
                     "pas", "päs", "kin")


def _front(s: str) -> str:
    return s.translate(str.maketrans("aou", "äöy"))


def _pick(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def harmony_ok(word: str) -> bool:
    letters = set(word)
    return not (letters & BACK and letters & FRONT)


def native_shape(word: str) -> bool:
    """The phonotactic look shared by real words and pseudowords (see the module doc)."""
    if any(bad in word for bad in RUDE):
        return False
    if not word or any(ch not in FINNISH_VOWELS | NATIVE_CONSONANTS for ch in word):
        return False
    if "g" in word.replace("ng", ""):
        return False
    if word[0] not in FINNISH_VOWELS and len(word) > 1 and word[1] not in FINNISH_VOWELS:
        return False  # initial consonant cluster
    if word[-1] not in FINAL_LETTERS or not harmony_ok(word):
        return False
    if any(word[i] == word[i + 1] == word[i + 2] for i in range(len(word) - 2)):
        return False
    return True


def _final_coda(rng: random.Random, nucleus: str) -> str:
    """A word-final consonant, only after the short vowels it follows in Finnish base
    forms (avain, sydän, kaunis, vieras, kevät, askel, tytär)."""
    if len(nucleus) > 1:
        return ""
    coda = _pick(rng, FINAL_CODA)
    allowed = {"n": "eiä", "s": "aeiuäy", "t": "eä", "l": "eä", "r": "eä", "": nucleus}
    return coda if nucleus in allowed[coda] else ""


def make_pseudoword(rng: random.Random, level: str, target: int) -> str:
    """One candidate of about `target` letters (the caller keeps only exact lengths)."""
    p_suffix = LEVEL_SUFFIX_P[level]
    group = "back" if rng.random() < 0.6 else "front"
    suffix = ""
    if SUFFIXES.get(level) and rng.random() < p_suffix:
        suffix = rng.choice(SUFFIXES[level])
        if group == "front":
            suffix = _front(suffix)
    n = max(2, round((target - len(suffix)) / 2.4 + rng.uniform(-0.5, 0.5)))
    word, onsets = "", []
    for i in range(n):
        last = i == n - 1
        if i == 0:
            onset = "" if rng.random() < 0.1 else _pick(rng, INITIAL_CONSONANTS)
        elif word[-1] not in FINNISH_VOWELS:  # the previous syllable ended in a consonant
            onset = _pick(rng, {c: w for c, w in MEDIAL_CLUSTERS.items() if c[0] == word[-1]})[1]
        else:
            onset = _pick(rng, MEDIAL_SINGLE)
        if onsets and onset == onsets[-1]:
            return ""  # no ka-ka, ri-ro: reduplication looks like baby talk
        onsets.append(onset)
        r = rng.random()
        if last and (suffix or i > 0):
            # suffixes attach to a short vowel; base forms rarely end in a long vowel
            # or a diphthong after the first syllable
            nucleus = _pick(rng, SHORT[group])
        elif i == 0:
            nucleus = (rng.choice(LONG[group]) if r < 0.10 else
                       rng.choice(DIPHTHONG_FIRST[group]) if r < 0.28 else _pick(rng, SHORT[group]))
            if not onset and nucleus in ("ie", "uo", "yö", "iu", "ey", "eu", "ii", "uu", "yy"):
                nucleus = nucleus[0]
        else:
            nucleus = (rng.choice(LONG[group]) if r < 0.04 else
                       rng.choice(DIPHTHONG_LATER[group]) if r < 0.10 else _pick(rng, SHORT[group]))
        if not last:
            coda = _pick(rng, CODA_WEIGHTS) if rng.random() < 0.35 else ""
        else:
            coda = "" if suffix else _final_coda(rng, nucleus)
        word += onset + nucleus + coda
    if suffix.startswith("i") and word[-1] in "eiy":
        return ""  # *ei-inen, *ii-nen
    if suffix and suffix[0] == onsets[-1]:
        return ""
    return word + suffix


# --- word lists ----------------------------------------------------------------------------

def ascii_slug(word: str) -> str:
    table = str.maketrans({"ä": "a", "ö": "o", "å": "a"})
    s = unicodedata.normalize("NFKD", word.translate(table)).encode("ascii", "ignore").decode()
    return "".join(ch if ch.isalnum() else "-" for ch in s.lower()).strip("-")


def existing_yes_no_words(content_dir: Path) -> set[str]:
    words = set()
    for path in sorted(content_dir.glob("*.yaml")):
        if path.resolve() == OUT.resolve():
            continue
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        items = list(doc.get("items") or [])
        for t in doc.get("testlets") or []:
            items.extend(t.get("items") or [])
        words |= {str(i["word"]).casefold() for i in items if i.get("kind") == "yes_no"}
    return words


def is_compound(analysis: dict) -> bool:
    """Voikko marks the boundaries of compound parts with '=' in STRUCTURE."""
    return analysis.get("STRUCTURE", "=").count("=") > 1


def base_form_class(voikko, word: str) -> str | None:
    """The part of speech if Voikko reads `word` only as a plain base form, else None."""
    analyses = voikko.analyze(word)
    if not analyses:
        return None
    pos = None
    for a in analyses:
        if a.get("BASEFORM") != word or a.get("CLASS") not in CONTENT_CLASSES:
            return None
        if "PARTICIPLE" in a or a.get("COMPARISON", "positive") != "positive":
            continue
        if is_compound(a):
            return None
        pos = pos or CONTENT_CLASSES[a["CLASS"]]
    return pos


def band_of(z: float) -> str | None:
    for level, (lo, hi) in ZIPF_BANDS.items():
        if lo <= z < hi:
            return level
    return None


def real_candidates(voikko, used: set[str]) -> dict[str, list[tuple[str, str, float]]]:
    from wordfreq import top_n_list, zipf_frequency

    pools = {level: [] for level in LEVELS}
    for word in top_n_list("fi", WORDLIST_N):
        z = zipf_frequency(word, "fi")
        level = band_of(z)
        if level is None or len(word) < 3 or word != word.lower() or word in used:
            continue
        if not native_shape(word) or not voikko.spell(word):
            continue
        if max(zipf_frequency(word, "en"), zipf_frequency(word, "sv")) > z:
            continue
        pos = base_form_class(voikko, word)
        if pos:
            pools[level].append((word, pos, z))
    return pools


def pick_real(pools, seed: int) -> dict[str, list[tuple[str, str, float]]]:
    chosen = {}
    for level in LEVELS:
        rng = random.Random(f"{seed}-real-{level}")
        pool = sorted(pools[level])
        rng.shuffle(pool)
        quota = {p: round(PER_LEVEL * s) for p, s in POS_SHARE.items()}
        quota["noun"] = PER_LEVEL - sum(quota.values())
        picked = []
        for word, pos, z in pool:  # exclusions are skipped here, after the shuffle
            if word in REAL_EXCLUDE or quota.get(pos, 0) <= 0:
                continue
            quota[pos] -= 1
            picked.append((word, pos, z))
        for word, pos, z in pool:  # a part of speech ran short: fill with any
            if len(picked) >= PER_LEVEL:
                break
            if word not in REAL_EXCLUDE and (word, pos, z) not in picked:
                picked.append((word, pos, z))
        chosen[level] = picked[:PER_LEVEL]
    return chosen


ALPHABET = "abcdefghijklmnopqrstuvwxyzåäö"


def neighbours(word: str, alphabet: str):
    """Every string at Damerau-Levenshtein distance 1 from word."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    for a, b in splits:
        if b:
            yield a + b[1:]
            for c in alphabet:
                if c != b[0]:
                    yield a + c + b[1:]
        if len(b) > 1:
            yield a + b[1] + b[0] + b[2:]
        for c in alphabet:
            yield a + c + b


def acceptable_pseudo(voikko, w: str, known: set[str], near: set[str]) -> bool:
    from wordfreq import zipf_frequency

    if len(w) < 4 or w in known or not native_shape(w) or w.endswith(INFLECTED_ENDINGS):
        return False
    if voikko.spell(w) or voikko.analyze(w) or zipf_frequency(w, "fi") > 0:
        return False
    if any(n in near for n in neighbours(w, ALPHABET)):
        return False
    # nor one edit from any word Voikko knows, inflected forms and compounds included
    return not any(" " not in s and distance(s.casefold(), w) <= 1 for s in voikko.suggest(w))


def distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment)."""
    d = [[max(i, j) if not i * j else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def pick_pseudo(voikko, pools, known: set[str], near: set[str], seed: int) -> dict[str, list[str]]:
    chosen: dict[str, list[str]] = {}
    taken: set[str] = set()
    for level in LEVELS:
        rng = random.Random(f"{seed}-pseudo-{level}")
        lengths = sorted(max(4, len(w)) for w, _, _ in pools[level])
        picked: list[str] = []
        for _slot in range(10 * PER_LEVEL):
            if len(picked) >= PER_LEVEL:
                break
            target = rng.choice(lengths)
            for _ in range(100_000):
                w = make_pseudoword(rng, level, target)
                if (len(w) == target and w not in taken
                        and acceptable_pseudo(voikko, w, known, near)):
                    break
            else:
                raise SystemExit(f"no pseudoword of {target} letters for {level}")
            taken.add(w)
            # an excluded word still uses up its slot, so excluding one never shifts the others
            if w not in PSEUDO_EXCLUDE:
                picked.append(w)
        if len(picked) < PER_LEVEL:
            raise SystemExit(f"only {len(picked)} pseudowords for {level}: PSEUDO_EXCLUDE too long")
        chosen[level] = picked
    return chosen


# --- output --------------------------------------------------------------------------------

def render(real, pseudo) -> str:
    lines = [
        "# GENERATED by item_bank/tools/make_yes_no.py -- do not edit by hand.",
        "# Change the script (e.g. its exclusion lists) and run, from the repository root:",
        "#   .venv/bin/python -m item_bank.tools.make_yes_no",
        "# Real words: wordfreq base forms checked by Voikko, CEFR level by Zipf band",
        "# (A1 >= 5.0, A2 4.5-5.0, B1 4.0-4.5, B2 3.5-4.0, C1 3.0-3.5).",
        "# Pseudowords: Finnish-like syllables, rejected by Voikko, unknown to wordfreq,",
        "# not one edit away from a frequent word.",
        "items:",
    ]
    ids: set[str] = set()

    def item(level, word, key):
        base = f"vo-{level.lower()}-gen-{ascii_slug(word)}"
        item_id, k = base, 2
        while item_id in ids:
            item_id, k = f"{base}-{k}", k + 1
        ids.add(item_id)
        lines.extend([f"  - id: {item_id}", "    kind: yes_no", "    skill: vocabulary",
                      f"    cefr: {level}", "    topic: general", f"    word: {word}",
                      f'    key: "{key}"'])

    for level in LEVELS:
        lines.append(f"  # --- {level}: real words ---")
        for word, _pos, _z in sorted(real[level]):
            item(level, word, "yes")
        lines.append(f"  # --- {level}: pseudowords ---")
        for word in sorted(pseudo[level]):
            item(level, word, "no")
    return "\n".join(lines) + "\n"


def generate(seed: int = SEED):
    import libvoikko
    from wordfreq import top_n_list

    voikko = libvoikko.Voikko("fi")
    try:
        used = existing_yes_no_words(OUT.parent)
        pools = real_candidates(voikko, used)
        real = pick_real(pools, seed)
        all_real = {w for pool in pools.values() for w, _, _ in pool}
        known = all_real | used | set(REAL_EXCLUDE)
        near = set(top_n_list("fi", NEIGHBOUR_TOP_N)) | all_real | used
        pseudo = pick_pseudo(voikko, pools, known, near, seed)
    finally:
        voikko.terminate()
    return real, pseudo, pools


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="fail if the YAML file is not up to date")
    ap.add_argument("--dry-run", action="store_true", help="print the summary, write nothing")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    real, pseudo, pools = generate(args.seed)
    text = render(real, pseudo)
    for level in LEVELS:
        pos = Counter(p for _, p, _ in real[level])
        print(f"{level}: {len(real[level])} real ({dict(pos)}; pool {len(pools[level])}), "
              f"{len(pseudo[level])} pseudo")
        print("   real:  ", " ".join(w for w, _, _ in sorted(real[level])))
        print("   pseudo:", " ".join(sorted(pseudo[level])))
    print(f"exclusions: {len(REAL_EXCLUDE)} real, {len(PSEUDO_EXCLUDE)} pseudo")
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT.name} is not what the script makes: run it again", file=sys.stderr)
            return 1
        print(f"{OUT.name} is up to date")
        return 0
    if not args.dry_run:
        OUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
