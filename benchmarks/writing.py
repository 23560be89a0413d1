"""Latency of the writing scorer: a text of about 150 words, after warm-up, in this process.

Prints the median and p99 of 300 scorings, the warm-up time (loading Voikko, wordfreq and
lingua) and the process's peak memory, with a baseline measured in the same run: the
time of the feature extraction alone.
"""
from __future__ import annotations

import json
import resource
import statistics
import time

from scoring.adapters import default_tools, writing_scorer
from scoring.features import extract

PROMPT = ("Kirjoita sähköposti taloyhtiön isännöitsijälle. Kerro, mikä asunnossasi on rikki, "
          "milloin vika alkoi ja mitä toivot isännöitsijän tekevän.")
TEXT = ("Hyvä isännöitsijä, kirjoitan teille, koska asuntoni keittiössä on ongelma. Astianpesukone "
        "alkoi vuotaa viime maanantaina, ja lattialle on tullut paljon vettä. Olen yrittänyt "
        "kuivata lattian, mutta vesi tulee aina uudelleen, kun kone on päällä. Pelkään, että "
        "lattia tai alakerran asunto voi vahingoittua. Olen myös huomannut, että kylpyhuoneen "
        "hana tippuu yöllä, mikä häiritsee nukkumista. Voisitteko lähettää huoltomiehen "
        "tarkistamaan koneen ja hanan mahdollisimman pian? Olen kotona arkisin kello "
        "neljästä alkaen, ja viikonloppuna koko päivän. Jos huoltomies tulee päivällä, hän voi "
        "hakea avaimen naapuriltani, joka asuu samassa rapussa. Toivon, että asia saadaan "
        "kuntoon nopeasti, koska en voi nyt pestä astioita koneella. Kiitos etukäteen avustanne "
        "ja mukavaa viikkoa. Lisäksi haluaisin kysyä, milloin rappukäytävän lamput vaihdetaan, "
        "sillä illalla portaissa on hyvin pimeää ja pelkään, että joku kaatuu. Naapurini ovat "
        "huomanneet saman asian, ja olemme keskustelleet siitä taloyhtiön kokouksessa. "
        "Pihalla olevat roska-astiat ovat myös usein täynnä, joten niitä pitäisi tyhjentää useammin. "
        "Ystävällisin terveisin Olga Petrova, asunto B 12")


def main(runs: int = 300) -> None:
    t0 = time.perf_counter()
    tools = default_tools()
    scorer = writing_scorer(tools)
    scorer.score(TEXT, PROMPT, 120)
    warm = time.perf_counter() - t0
    n_words = len(TEXT.split())
    lat, feat = [], []
    for _ in range(runs):
        t = time.perf_counter()
        extract(TEXT, PROMPT, *tools)
        feat.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        result = scorer.score(TEXT, PROMPT, 120)
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    feat.sort()
    p99 = lat[int(0.99 * (len(lat) - 1))]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"writing scorer, {n_words}-word text, {runs} runs after warm-up ({warm:.2f} s warm-up)")
    print(f"  score: median {statistics.median(lat):.1f} ms, p99 {p99:.1f} ms "
          f"(features alone: median {statistics.median(feat):.1f} ms)")
    print(f"  peak memory of the process: {rss_mb:.0f} MB; level {result.cefr}, "
          f"confidence {result.confidence:.2f}")
    print(json.dumps({"benchmark": "writing", "words": n_words, "median_ms": round(statistics.median(lat), 2),
                      "p99_ms": round(p99, 2), "features_median_ms": round(statistics.median(feat), 2),
                      "warm_up_s": round(warm, 2), "peak_rss_mb": round(rss_mb)}))


if __name__ == "__main__":
    main()
