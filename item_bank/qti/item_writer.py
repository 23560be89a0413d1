"""The XML of one item (``qti-assessment-item``) and of one shared stimulus
(``qti-assessment-stimulus``): response declarations and the interaction of each item kind."""
from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET

from ..ctest import Gap, damage
from ..model import Item
from .spec import (_BASE_TYPE, _EXTERNAL, _INSTRUCTION, _QTI_XSD, _TEMPLATE, _YES_NO, QTI_NS, XML_NS,
                   XSI_NS, _q)
from .xmlwrite import _seal, _sub, _write_text, _xml_bytes


def _audio(parent: ET.Element, src: str, media_type: str) -> None:
    audio = _sub(parent, "audio", {"controls": "controls", "preload": "none"})
    _sub(audio, "source", {"src": src, "type": media_type})


def _stimulus_xml(sid: str, entry: dict, asset_href: dict, assets: dict) -> bytes:
    stim = entry["stimulus"]
    root = ET.Element(_q("qti-assessment-stimulus"), {
        f"{{{XSI_NS}}}schemaLocation": f"{QTI_NS} {_QTI_XSD}",
        "identifier": sid, "title": stim.get("title") or entry["testlet"] or sid,
        f"{{{XML_NS}}}lang": "fi"})
    body = _sub(root, "qti-stimulus-body")
    if "title" in stim:
        h = _sub(body, "h2", {"class": "tt-title"})
        _write_text(h, stim["title"])
        _seal(h)
    if "text" in stim:
        div = _sub(body, "div", {"class": "tt-text"})
        _write_text(div, stim["text"])
        _seal(div)
    if "audio_text" in stim:
        div = _sub(body, "div", {"class": "tt-audio"})
        if entry["audio"]:
            _audio(div, "../" + asset_href[entry["audio"]], assets[entry["audio"]][0])
        else:
            _seal(div)  # audio not made yet: an empty player place
    return _xml_bytes(root, QTI_NS)


def _response(root: ET.Element, ident: str, base_type: str, correct: str | None = None,
              mapping: list[str] | None = None) -> None:
    d = _sub(root, "qti-response-declaration", {"identifier": ident, "cardinality": "single",
                                                "base-type": base_type})
    if correct is not None:
        value = _sub(_sub(d, "qti-correct-response"), "qti-value")
        value.text = correct
    if mapping is not None:
        m = _sub(d, "qti-mapping", {"default-value": "0", "lower-bound": "0", "upper-bound": "1"})
        for key in mapping:
            _sub(m, "qti-map-entry", {"map-key": key, "mapped-value": "1", "case-sensitive": "false"})


def _item_xml(item: Item, ident: str, path: str, stimulus: tuple[str, dict] | None,
              asset_href: dict, assets: dict) -> bytes:
    kind, c = item.kind, item.content
    root = ET.Element(_q("qti-assessment-item"), {
        f"{{{XSI_NS}}}schemaLocation": f"{QTI_NS} {_QTI_XSD}",
        "identifier": ident, "title": item.id, "adaptive": "false", "time-dependent": "false",
        f"{{{XML_NS}}}lang": "fi"})
    base = _BASE_TYPE[kind]
    gaps: list[Gap] = []
    if kind in ("multiple_choice", "yes_no"):
        _response(root, "RESPONSE", base, item.key)
    elif kind in ("cloze", "sentence_building"):
        _response(root, "RESPONSE", base, item.accept[0], list(item.accept))
    elif kind == "dictation":
        _response(root, "RESPONSE", base, c["audio_text"])
    elif kind == "c_test":
        gaps = [p for p in damage(c["text"]) if isinstance(p, Gap)]
        for n, gap in enumerate(gaps, 1):
            _response(root, f"GAP_{n}", base, gap.missing, [gap.missing, gap.word])
    else:
        _response(root, "RESPONSE", base)
    outcome = _sub(root, "qti-outcome-declaration", {
        "identifier": "SCORE", "cardinality": "single", "base-type": "float",
        "normal-maximum": str(item.max_score)})
    if kind in _EXTERNAL:
        outcome.set("external-scored", "externalMachine")
    _sub(_sub(outcome, "qti-default-value"), "qti-value").text = "0"
    if stimulus:
        sid, entry = stimulus
        _sub(root, "qti-assessment-stimulus-ref", {
            "identifier": sid, "href": posixpath.relpath(entry["file"], posixpath.dirname(path)),
            "title": entry["stimulus"].get("title") or entry["testlet"] or sid})
    body = _sub(root, "qti-item-body")

    def prompt(parent: ET.Element, text: str) -> None:
        p = _sub(parent, "qti-prompt")
        _write_text(p, text)
        _seal(p)

    def paragraph(cls: str, text: str, tag: str = "p", strong: bool = False) -> ET.Element:
        p = _sub(body, tag, {"class": cls})
        _write_text(p, text, strong)
        return _seal(p)

    if kind == "multiple_choice":
        if "context" in c:
            paragraph("tt-context", c["context"], strong=True)
        ci = _sub(body, "qti-choice-interaction", {"response-identifier": "RESPONSE",
                                                   "shuffle": "false", "max-choices": "1"})
        prompt(ci, c["prompt"])
        for cid, text in c["choices"].items():
            sc = _sub(ci, "qti-simple-choice", {"identifier": cid})
            _write_text(sc, text)
            _seal(sc)
    elif kind == "yes_no":
        paragraph("tt-word", c["word"])
        ci = _sub(body, "qti-choice-interaction", {"response-identifier": "RESPONSE",
                                                   "shuffle": "false", "max-choices": "1"})
        prompt(ci, _INSTRUCTION["yes_no"])
        for cid, text in _YES_NO.items():
            _sub(ci, "qti-simple-choice", {"identifier": cid}).text = text
    elif kind == "cloze":
        before, _, after = c["text"].partition("___")
        p = _sub(body, "p", {"class": "tt-cloze"})
        _write_text(p, before)
        _sub(p, "qti-text-entry-interaction", {"response-identifier": "RESPONSE"})
        _write_text(p, after)
        _seal(p)
        if "hint" in c:
            paragraph("tt-hint", c["hint"])
    elif kind == "dictation":
        sha = item.assets.get("audio")
        if sha:
            _audio(_sub(body, "div", {"class": "tt-audio"}),
                   posixpath.relpath(asset_href[sha], posixpath.dirname(path)), assets[sha][0])
        et = _sub(body, "qti-extended-text-interaction", {"response-identifier": "RESPONSE",
                                                          "expected-lines": "2"})
        prompt(et, _INSTRUCTION["dictation"])
    elif kind == "c_test":
        p = _sub(body, "p", {"class": "tt-ctest"})
        n = 0
        for part in damage(c["text"]):
            if isinstance(part, Gap):
                n += 1
                _write_text(p, part.prefix)
                _sub(p, "qti-text-entry-interaction", {"response-identifier": f"GAP_{n}",
                                                       "expected-length": str(len(part.missing))})
            else:
                _write_text(p, part)
        _seal(p)
    elif kind == "sentence_building":
        paragraph("tt-instruction", _INSTRUCTION["sentence_building"])
        ul = _sub(body, "ul", {"class": "tt-words"})
        for word in c["words"]:
            li = _sub(ul, "li")
            _write_text(li, word)
            _seal(li)
        p = _sub(body, "p", {"class": "tt-answer"})
        _sub(p, "qti-text-entry-interaction", {"response-identifier": "RESPONSE"})
        _seal(p)
    elif kind == "writing_task":
        et = _sub(body, "qti-extended-text-interaction", {"response-identifier": "RESPONSE"})
        prompt(et, c["prompt"])
    elif kind == "read_aloud":
        paragraph("tt-read-aloud", c["text"], tag="div")
        up = _sub(body, "qti-upload-interaction", {"response-identifier": "RESPONSE",
                                                   "class": "tt-audio-recording"})
        prompt(up, _INSTRUCTION["read_aloud"])
    elif kind == "speaking_prompt":
        up = _sub(body, "qti-upload-interaction", {"response-identifier": "RESPONSE",
                                                   "class": "tt-audio-recording"})
        prompt(up, c["prompt"])

    if kind in _TEMPLATE:
        _sub(root, "qti-response-processing", {"template": _TEMPLATE[kind]})
    elif kind == "c_test":
        rp = _sub(root, "qti-response-processing")
        total = _sub(_sub(rp, "qti-set-outcome-value", {"identifier": "SCORE"}), "qti-sum")
        for n in range(1, len(gaps) + 1):
            _sub(total, "qti-map-response", {"identifier": f"GAP_{n}"})
    return _xml_bytes(root, QTI_NS)
