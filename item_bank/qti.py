"""IMS QTI 3.0 content packages of the item bank: export and import.

``export_package(items, assets)`` writes a zip (an IMS content package) and
``import_package(data)`` reads one back into the same :class:`~item_bank.model.Item`
objects and assets. Only the standard library is used (``zipfile``,
``xml.etree.ElementTree``).

Package layout
--------------
``imsmanifest.xml``
    IMS CP manifest in ``http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1``; one
    ``resource`` per item (type ``imsqti_item_xmlv3p0``), per shared stimulus
    (``imsqti_stimulus_xmlv3p0``) and per asset (``webcontent``), each listing its files
    and the resources it depends on.
``items/<id>-v<version>.xml``
    one ``qti-assessment-item`` (namespace ``http://www.imsglobal.org/xsd/imsqtiasi_v3p0``)
    per item; its identifier is ``<id>-v<version>`` (``_`` in front when the id starts
    with a digit, to keep it an XML name).
``stimuli/stimulus_<testlet>.xml``
    one ``qti-assessment-stimulus`` per testlet (the reading text, or for listening the
    audio), referred to by each item of the testlet with ``qti-assessment-stimulus-ref``.
    A stimulus of an item outside a testlet is ``stimuli/stimulus_item_<identifier>.xml``.
``assets/<sha256><ext>``
    the media files (``assets`` maps sha256 -> (media type, bytes)), played with HTML5
    ``<audio><source src=... type=...>`` in the item or stimulus body.

Interactions by kind
--------------------
* ``multiple_choice``: ``qti-choice-interaction`` (``max-choices=1``, ``shuffle=false``),
  ``qti-prompt`` = prompt, ``qti-simple-choice`` identifiers = choice ids; the context goes
  in ``<p class="tt-context">`` before it, ``**word**`` written as ``<strong>``. Response
  ``RESPONSE`` (single identifier), correct response = key, template ``match_correct``.
* ``yes_no``: the word in ``<p class="tt-word">``, choice interaction with the choices
  ``yes`` ("kyllä") and ``no`` ("ei"); ``match_correct``.
* ``cloze``: ``<p class="tt-cloze">`` with a ``qti-text-entry-interaction`` where ``___``
  stands; the hint (shown to the candidate) in ``<p class="tt-hint">``. Correct response
  ``accept[0]``; ``qti-mapping`` maps every accepted answer (in order) to 1 with
  ``case-sensitive="false"``; template ``map_response``.
* ``dictation``: the audio (role ``audio``) in ``<div class="tt-audio">`` and a
  ``qti-extended-text-interaction``; correct response = ``audio_text``. ``SCORE`` is
  ``external-scored="externalMachine"`` (0-2 by words, ``scoring/objective.py``).
* ``c_test``: ``<p class="tt-ctest">``: the text damaged by the C-test rule, each gap the
  letters left standing followed by a ``qti-text-entry-interaction`` ``GAP_1`` .. ``GAP_n``
  (``expected-length`` = letters missing). Each ``GAP_i`` has the missing part as correct
  response and a mapping (missing part or whole word, case-insensitive, to 1); response
  processing sums ``qti-map-response`` over the gaps. The undamaged source text (its
  exact spacing cannot be read back from the damaged text) is kept in the metadata.
* ``sentence_building``: chosen as a ``qti-text-entry-interaction`` (the candidate types
  the sentence, as the API takes it; a ``qti-order-interaction`` would lose capitals and
  punctuation of the accepted sentences). The words are shown in
  ``<ul class="tt-words"><li>``; correct response ``accept[0]``, mapping of every accepted
  sentence (case-insensitive); ``map_response``.
* ``writing_task``: ``qti-extended-text-interaction`` with the prompt; no correct response.
* ``read_aloud``: the text in ``<div class="tt-read-aloud">`` and a
  ``qti-upload-interaction`` (base type ``file``: the recording).
* ``speaking_prompt``: ``qti-upload-interaction`` with the prompt.
  Writing and speaking have no correct response; ``SCORE`` is
  ``external-scored="externalMachine"`` with ``normal-maximum`` = the item's maximum score.

Line breaks in texts are written as ``<br/>``; other spacing is kept as it is in the XML.
Fixed Finnish instructions (``qti-prompt`` of yes/no, dictation and read-aloud items,
``<p class="tt-instruction">`` of sentence building) are not item content and are ignored
on import. Texts with a carriage return or a control character XML 1.0 cannot carry are
refused on export.

Metadata (custom namespace ``https://taitotaso.fi/ns/item/1``, prefix ``tt``)
-----------------------------------------------------------------------------
What QTI has no place for lives in the manifest, in each resource's ``<metadata>`` (next
to a standard ``imsqti:qtiMetadata`` block, for information only)::

    <tt:item id="st-a2-x" version="1" kind="cloze" skill="structure" cefr="A2"
             topic="housing" status="live" position="0" testlet="...">
      <tt:irt model="3pl" a="1.2" b="-1.0" c="0.0" thresholds="-1.0 0.0 1.0"/>
      <tt:content name="focus" type="str">inessive</tt:content>
      <tt:asset role="audio" sha256="..."/>
    </tt:item>

* ``tt:item`` attributes: id, version, kind, skill, CEFR target, topic, status, position in
  the testlet and the testlet id (absent outside a testlet);
* ``tt:irt``: a, b, c, model and the GRM thresholds (space separated; floats written with
  ``repr`` so that they read back exactly);
* ``tt:content``: every content field that is not in the item body (``focus``,
  ``task_type``, ``min_words``, ``max_words``, ``prep_seconds``, ``max_seconds``, the C-test
  source ``text``, ...) with its type: ``str``, ``int``, ``float``, ``bool`` or ``json``;
* ``tt:asset``: the item's assets by role (``audio``, ``stimulus_audio``, ...).

A stimulus resource carries ``<tt:stimulus testlet="...">``; for listening its
``<tt:audio-text review-only="true">`` holds what is heard, for reviewers only: it is
never in the stimulus or item XML, so a delivery system does not show it. An asset
resource carries ``<tt:asset sha256="..." media-type="audio/ogg"/>``.

Import validates the whole package (paths, sizes, XML, manifest, references, checksums,
metadata, interactions, and every item against the content schemas of
``item_bank/schema.py``) before it returns anything; any problem raises
:class:`QTIImportError` naming the file inside the zip and the element or field.
Export checks the items first (:class:`QTIExportError`) and finally reads the package it
wrote back, so that what it returns is known to survive the round trip.

Not covered: QTI tests (``qti-assessment-test``), feedback, templates, accessibility
catalogs (``qti-catalog-info``), stylesheets, LOM metadata, and packages written by other
tools (import reads the packages this module writes and refuses anything else clearly).
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import mimetypes
import posixpath
import re
import zipfile
import zlib
import xml.etree.ElementTree as ET
from typing import Any

from marshmallow import ValidationError

from .content import answer_key
from .ctest import Gap, damage
from .model import IRT, KINDS, SKILLS, STATUSES, TOPICS, Item
from .schema import ID_RE, KIND_SKILLS, SCHEMAS, StimulusSchema

QTI_NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
CP_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
QTIMD_NS = "http://www.imsglobal.org/xsd/imsqti_metadata_v3p0"
TT_NS = "https://taitotaso.fi/ns/item/1"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_NS = "http://www.w3.org/XML/1998/namespace"

ITEM_TYPE = "imsqti_item_xmlv3p0"
STIMULUS_TYPE = "imsqti_stimulus_xmlv3p0"
ASSET_TYPE = "webcontent"
MANIFEST = "imsmanifest.xml"
MATCH_CORRECT = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"
MAP_RESPONSE = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/map_response.xml"
_QTI_XSD = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd"
_CP_XSD = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_imscpv1p2_v1p0.xsd"
_QTIMD_XSD = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_metadatav3p0_v1p0.xsd"

# limits on what import_package reads
MAX_UNCOMPRESSED = 200 * 1024 * 1024  # bytes, all files together
MAX_ENTRIES = 20_000


# content fields each kind writes into the item body; every other field goes to tt:content
_BODY_FIELDS = {
    "multiple_choice": ("context", "prompt", "choices"),
    "yes_no": ("word",),
    "cloze": ("text", "hint"),
    "dictation": ("audio_text",),
    "c_test": (),
    "sentence_building": ("words",),
    "writing_task": ("prompt",),
    "read_aloud": ("text",),
    "speaking_prompt": ("prompt",),
}
_BASE_TYPE = {"multiple_choice": "identifier", "yes_no": "identifier", "cloze": "string",
              "dictation": "string", "c_test": "string", "sentence_building": "string",
              "writing_task": "string", "read_aloud": "file", "speaking_prompt": "file"}
_INTERACTION = {"multiple_choice": "choiceInteraction", "yes_no": "choiceInteraction",
                "cloze": "textEntryInteraction", "dictation": "extendedTextInteraction",
                "c_test": "textEntryInteraction", "sentence_building": "textEntryInteraction",
                "writing_task": "extendedTextInteraction", "read_aloud": "uploadInteraction",
                "speaking_prompt": "uploadInteraction"}
_TEMPLATE = {"multiple_choice": MATCH_CORRECT, "yes_no": MATCH_CORRECT,
             "cloze": MAP_RESPONSE, "sentence_building": MAP_RESPONSE}
_EXTERNAL = ("dictation", "writing_task", "read_aloud", "speaking_prompt")
_YES_NO = {"yes": "kyllä", "no": "ei"}
# fixed instructions (not item content; ignored on import)
_INSTRUCTION = {
    "yes_no": "Onko tämä suomen kielen sana?",
    "dictation": "Kirjoita lause, jonka kuulet.",
    "sentence_building": "Kirjoita lause, jossa ovat kaikki sanat.",
    "read_aloud": "Lue teksti ääneen ja tallenna se.",
}
_EXT = {"audio/ogg": ".ogg", "audio/opus": ".opus", "audio/mpeg": ".mp3", "audio/wav": ".wav",
        "audio/x-wav": ".wav", "audio/webm": ".webm", "audio/mp4": ".m4a", "audio/flac": ".flac",
        "image/png": ".png", "image/jpeg": ".jpg", "image/svg+xml": ".svg",
        "application/pdf": ".pdf", "text/plain": ".txt"}
_SHA_RE = re.compile(r"[0-9a-f]{64}")
_ROLE_RE = re.compile(r"[a-z][a-z0-9_]*")
_MEDIA_RE = re.compile(r"[A-Za-z0-9][\w.+-]*/[\w.+-]+(?:\s*;\s*[\w.+-]+=[\w.+\"-]+)*")
_NAME_RE = re.compile(r"[A-Za-z_][\w.-]*")
_STRONG = re.compile(r"\*\*(.+?)\*\*")
# characters XML 1.0 cannot carry (and \r, which XML parsers turn into \n)
_BAD_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_RESERVED = {"id", "kind", "skill", "cefr", "topic", "status", "key", "accept", "irt"}
_MODELS = ("3pl", "grm")
_schemas: dict[str, Any] = {}  # schema instances, made once (making one is slow)


def _schema(name: str):
    if name not in _schemas:
        _schemas[name] = StimulusSchema() if name == "stimulus" else SCHEMAS[name]()
    return _schemas[name]


class QTIImportError(ValueError):
    """The package cannot be imported; the message names the file inside the zip and the
    element, attribute or field. Nothing of the package is used."""


class QTIExportError(ValueError):
    """The items cannot be written as a QTI package without losing something."""


# --------------------------------------------------------------------------- helpers

def _q(tag: str) -> str:
    return f"{{{QTI_NS}}}{tag}"


def _cp(tag: str) -> str:
    return f"{{{CP_NS}}}{tag}"


def _tt(tag: str) -> str:
    return f"{{{TT_NS}}}{tag}"


def _sub(parent: ET.Element, tag: str, attrs: dict[str, str] | None = None) -> ET.Element:
    return ET.SubElement(parent, _q(tag), attrs or {})


def _identifier(item: Item) -> str:
    ident = f"{item.id}-v{item.version}"
    return ident if _NAME_RE.fullmatch(ident) else f"_{ident}"


def _ext(media_type: str) -> str:
    base = media_type.split(";")[0].strip().lower()
    return _EXT.get(base) or mimetypes.guess_extension(base) or ".bin"


def _fmt_float(x: float) -> str:
    return repr(float(x))


def _append(parent: ET.Element, text: str) -> None:
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _write_text(parent: ET.Element, text: str, strong: bool = False) -> None:
    """Text into mixed content: line breaks as <br/>, ``**word**`` as <strong> if asked."""
    pieces = _STRONG.split(text) if strong else [text]
    for i, piece in enumerate(pieces):
        if i % 2:
            s = _sub(parent, "strong")
            s.text, s.tail = piece, ""
            continue
        lines = piece.split("\n")
        _append(parent, lines[0])
        for line in lines[1:]:
            _sub(parent, "br").tail = line


def _seal(elem: ET.Element) -> ET.Element:
    """Mark mixed content so that indentation leaves it alone."""
    if elem.text is None:
        elem.text = ""
    for child in elem:
        if child.tail is None:
            child.tail = ""
    return elem


def _indent(elem: ET.Element, level: int = 0) -> None:
    """Indent element-only content; mixed content (text set) is left exactly as it is."""
    if len(elem) and elem.text is None and all(c.tail is None for c in elem):
        pad = "\n" + "  " * (level + 1)
        elem.text = pad
        for child in elem:
            child.tail = pad
        elem[-1].tail = "\n" + "  " * level
    for child in elem:
        _indent(child, level + 1)


_PREFIXES = {TT_NS: "tt", QTIMD_NS: "imsqti", XSI_NS: "xsi", XML_NS: "xml"}


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _esc_attr(text: str) -> str:
    return (_esc(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;")
            .replace("\t", "&#9;"))


def _xml_bytes(root: ET.Element, default_ns: str) -> bytes:
    """Serialise with ``default_ns`` as the default namespace (ElementTree cannot do that
    with unqualified attributes without changing its global prefix map)."""
    _indent(root)
    used: set[str] = set()

    def name(qname: str) -> str:
        if not qname.startswith("{"):
            return qname
        uri, local = qname[1:].split("}", 1)
        if uri == default_ns:
            return local
        used.add(uri)
        return f"{_PREFIXES[uri]}:{local}"

    def walk(elem: ET.Element, out: list[str]) -> None:
        tag = name(elem.tag)
        attrs = "".join(f' {name(k)}="{_esc_attr(v)}"' for k, v in elem.attrib.items())
        out.append(f"<{tag}{attrs}")
        if not len(elem) and not elem.text:
            out.append("/>")
        else:
            out.append(">" + _esc(elem.text or ""))
            for child in elem:
                walk(child, out)
                out.append(_esc(child.tail or ""))
            out.append(f"</{tag}>")

    out: list[str] = []
    walk(root, out)
    decls = f' xmlns="{default_ns}"' + "".join(
        f' xmlns:{_PREFIXES[uri]}="{uri}"' for uri in sorted(used, key=_PREFIXES.get) if uri != XML_NS)
    first = out[0]
    out[0] = first[:len(name(root.tag)) + 1] + decls + first[len(name(root.tag)) + 1:]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + "".join(out) + "\n").encode("utf-8")


def _strings(value: Any, path: str):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k, f"{path} (key)")
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


# ----------------------------------------------------------------- item validation

def _item_problem(item: Item) -> str | None:
    """The first reason the item cannot be in the bank (and in a package), or None."""
    kind = item.kind
    if kind not in KINDS:
        return f"unknown kind {kind!r} (known kinds: {', '.join(KINDS)})"
    if not isinstance(item.id, str) or not ID_RE.fullmatch(item.id):
        return f"id {item.id!r}: ids use lowercase letters, digits and hyphens"
    if not isinstance(item.content, dict):
        return "content must be a mapping"
    clash = sorted(_RESERVED & set(item.content))
    if clash:
        return f"content: field {clash[0]!r} is reserved for the item itself"
    for where, value in [("content", item.content), ("key", item.key), ("accept", item.accept),
                         ("stimulus", item.stimulus)]:
        for path, s in _strings(value, where):
            if _BAD_XML_CHARS.search(s):
                return f"{path}: has a control character (or carriage return) XML cannot carry"
    if not isinstance(item.accept, tuple):
        return f"accept must be a tuple, got {type(item.accept).__name__}"
    raw: dict[str, Any] = {"id": item.id, "kind": kind, "skill": item.skill, "cefr": item.cefr,
                           "topic": item.topic, "status": item.status, **item.content}
    if kind in ("multiple_choice", "yes_no"):
        raw["key"] = item.key
    if kind in ("cloze", "sentence_building"):
        raw["accept"] = list(item.accept)
    elif item.accept:
        return f"accept: a {kind} item takes no accepted answers"
    try:
        _schema(kind).load(raw)
    except ValidationError as err:
        return f"content: {err.normalized_messages()}"
    if item.skill not in KIND_SKILLS[kind]:
        return f"skill {item.skill!r} does not fit kind {kind} (use one of {sorted(KIND_SKILLS[kind])})"
    if item.topic not in TOPICS:
        return f"topic {item.topic!r} is not one of {', '.join(TOPICS)}"
    if item.skill not in SKILLS:
        return f"skill {item.skill!r} is not one of {', '.join(SKILLS)}"
    if item.status not in STATUSES:
        return f"status {item.status!r} is not one of {', '.join(STATUSES)}"
    expected = answer_key(kind, {**item.content, "accept": list(item.accept), "key": item.key})
    if item.key != expected or type(item.key) is not type(expected):
        return f"key {item.key!r} does not follow from the content (expected {expected!r})"
    if isinstance(item.version, bool) or not isinstance(item.version, int) or item.version < 1:
        return f"version must be a whole number from 1 up, got {item.version!r}"
    if isinstance(item.position, bool) or not isinstance(item.position, int) or item.position < 0:
        return f"position must be a whole number from 0 up, got {item.position!r}"
    if item.testlet is not None and (not isinstance(item.testlet, str) or not ID_RE.fullmatch(item.testlet)):
        return f"testlet {item.testlet!r}: ids use lowercase letters, digits and hyphens"
    problem = _irt_problem(item.irt)
    if problem:
        return f"irt: {problem}"
    if item.stimulus is not None:
        if not isinstance(item.stimulus, dict):
            return "stimulus must be a mapping"
        try:
            _schema("stimulus").load(item.stimulus)
        except ValidationError as err:
            return f"stimulus: {err.normalized_messages()}"
    if not isinstance(item.assets, dict):
        return "assets must be a mapping of role to sha256"
    for role, sha in item.assets.items():
        if not isinstance(role, str) or not _ROLE_RE.fullmatch(role):
            return f"assets: role {role!r} must be lowercase letters, digits and _"
        if not isinstance(sha, str) or not _SHA_RE.fullmatch(sha):
            return f"assets: {role}: {sha!r} is not a sha256 in lowercase hex"
    return None


def _irt_problem(irt: Any) -> str | None:
    if not isinstance(irt, IRT):
        return "missing IRT parameters"
    for name in ("a", "b", "c"):
        v = getattr(irt, name)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return f"{name} must be a finite number, got {v!r}"
    if irt.a <= 0:
        return f"a must be positive, got {irt.a!r}"
    if not 0 <= irt.c < 1:
        return f"c must be from 0 up to (not including) 1, got {irt.c!r}"
    if irt.model not in _MODELS:
        return f"model must be one of {', '.join(_MODELS)}, got {irt.model!r}"
    if not isinstance(irt.thresholds, tuple):
        return "thresholds must be a tuple"
    for t in irt.thresholds:
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
            return f"thresholds must be finite numbers, got {t!r}"
    if irt.model == "grm" and not irt.thresholds:
        return "a graded response model (grm) needs thresholds"
    if irt.model == "3pl" and irt.thresholds:
        return "a 3pl model takes no thresholds"
    return None


# ------------------------------------------------------------------------- export

def export_package(items: list[Item], assets: dict[str, tuple[str, bytes]]) -> bytes:
    """The items and assets as a QTI 3.0 content package (zip bytes).

    Raises :class:`QTIExportError` (a ValueError) if an item or asset cannot be written
    without loss; then nothing is written.
    """
    items = list(items)
    _check_export(items, assets)
    asset_href = {sha: f"assets/{sha}{_ext(mt)}" for sha, (mt, _) in assets.items()}

    # shared stimuli: one per testlet (or per item with a stimulus outside a testlet)
    stimuli: dict[str, dict[str, Any]] = {}
    item_stimulus: dict[int, str] = {}
    for idx, item in enumerate(items):
        if item.stimulus is None:
            continue
        sid = f"stimulus_{item.testlet}" if item.testlet else f"stimulus_item_{_identifier(item)}"
        entry = stimuli.setdefault(sid, {"stimulus": item.stimulus, "testlet": item.testlet,
                                         "audio": None, "file": f"stimuli/{sid}.xml"})
        if item.assets.get("stimulus_audio") and "audio_text" in item.stimulus:
            entry["audio"] = item.assets["stimulus_audio"]
        item_stimulus[idx] = sid

    files: dict[str, bytes] = {}
    manifest = ET.Element(_cp("manifest"), {
        "identifier": "taitotaso-items-" + hashlib.sha256(
            "\n".join(_identifier(i) for i in items).encode()).hexdigest()[:16],
        f"{{{XSI_NS}}}schemaLocation": f"{CP_NS} {_CP_XSD} {QTIMD_NS} {_QTIMD_XSD}",
    })
    md = ET.SubElement(manifest, _cp("metadata"))
    ET.SubElement(md, _cp("schema")).text = "QTI Package"
    ET.SubElement(md, _cp("schemaversion")).text = "3.0.0"
    ET.SubElement(manifest, _cp("organizations"))
    resources = ET.SubElement(manifest, _cp("resources"))

    for sha, (media_type, blob) in assets.items():
        href = asset_href[sha]
        res = ET.SubElement(resources, _cp("resource"), {"identifier": f"asset_{sha}",
                                                          "type": ASSET_TYPE, "href": href})
        rmd = ET.SubElement(res, _cp("metadata"))
        ET.SubElement(rmd, _tt("asset"), {"sha256": sha, "media-type": media_type})
        ET.SubElement(res, _cp("file"), {"href": href})
        files[href] = blob

    for sid, entry in stimuli.items():
        files[entry["file"]] = _stimulus_xml(sid, entry, asset_href, assets)
        res = ET.SubElement(resources, _cp("resource"), {"identifier": sid, "type": STIMULUS_TYPE,
                                                          "href": entry["file"]})
        rmd = ET.SubElement(res, _cp("metadata"))
        tst = ET.SubElement(rmd, _tt("stimulus"), {"testlet": entry["testlet"]} if entry["testlet"] else {})
        if "audio_text" in entry["stimulus"]:
            at = ET.SubElement(tst, _tt("audio-text"), {"review-only": "true"})
            at.text = entry["stimulus"]["audio_text"]
        ET.SubElement(res, _cp("file"), {"href": entry["file"]})
        if entry["audio"]:
            ET.SubElement(res, _cp("file"), {"href": asset_href[entry["audio"]]})
            ET.SubElement(res, _cp("dependency"), {"identifierref": f"asset_{entry['audio']}"})

    for idx, item in enumerate(items):
        ident = _identifier(item)
        path = f"items/{ident}.xml"
        sid = item_stimulus.get(idx)
        files[path] = _item_xml(item, ident, path, stimuli.get(sid) and (sid, stimuli[sid]),
                                asset_href, assets)
        res = ET.SubElement(resources, _cp("resource"), {"identifier": ident, "type": ITEM_TYPE,
                                                          "href": path})
        _item_metadata(ET.SubElement(res, _cp("metadata")), item)
        ET.SubElement(res, _cp("file"), {"href": path})
        body_audio = item.assets.get("audio") if item.kind == "dictation" else None
        if body_audio:
            ET.SubElement(res, _cp("file"), {"href": asset_href[body_audio]})
        if sid:
            ET.SubElement(res, _cp("dependency"), {"identifierref": sid})
        for sha in dict.fromkeys(item.assets.values()):
            ET.SubElement(res, _cp("dependency"), {"identifierref": f"asset_{sha}"})

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, blob in [(MANIFEST, _xml_bytes(manifest, CP_NS)), *files.items()]:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, blob)
    data = buf.getvalue()
    _check_round_trip(items, assets, data)
    return data


def _check_export(items: list[Item], assets: dict[str, tuple[str, bytes]]) -> None:
    if not isinstance(assets, dict):
        raise QTIExportError("assets must map sha256 to (media type, bytes)")
    for sha, value in assets.items():
        if not isinstance(sha, str) or not _SHA_RE.fullmatch(sha):
            raise QTIExportError(f"asset {sha!r}: not a sha256 in lowercase hex")
        if (not isinstance(value, tuple) or len(value) != 2 or not isinstance(value[0], str)
                or not isinstance(value[1], (bytes, bytearray))):
            raise QTIExportError(f"asset {sha}: must be (media type, bytes)")
        media_type, blob = value
        if not _MEDIA_RE.fullmatch(media_type):
            raise QTIExportError(f"asset {sha}: media type {media_type!r} is not of the form type/subtype")
        actual = hashlib.sha256(blob).hexdigest()
        if actual != sha:
            raise QTIExportError(f"asset {sha}: the bytes have sha256 {actual}")
    seen: dict[str, Item] = {}
    testlets: dict[str, Item] = {}
    audios: dict[str, tuple[str, str]] = {}
    for item in items:
        if not isinstance(item, Item):
            raise QTIExportError(f"{item!r} is not an Item")
        where = f"item {item.id} v{item.version}"
        problem = _item_problem(item)
        if problem:
            raise QTIExportError(f"{where}: {problem}")
        ident = _identifier(item)
        if ident in seen:
            raise QTIExportError(f"{where}: the same id and version twice")
        seen[ident] = item
        for role, sha in item.assets.items():
            if sha not in assets:
                raise QTIExportError(f"{where}: asset {role} ({sha}) is not among the assets given")
        if item.testlet:
            first = testlets.setdefault(item.testlet, item)
            if first.stimulus != item.stimulus:
                raise QTIExportError(f"{where}: testlet {item.testlet}: its stimulus differs from "
                                     f"that of item {first.id}")
            audio = item.assets.get("stimulus_audio")
            if audio:
                other = audios.setdefault(item.testlet, (audio, item.id))
                if other[0] != audio:
                    raise QTIExportError(f"{where}: testlet {item.testlet}: its stimulus_audio "
                                         f"differs from that of item {other[1]}")


def _check_round_trip(items: list[Item], assets: dict, data: bytes) -> None:
    try:
        got_items, got_assets = import_package(data)
    except QTIImportError as err:
        raise QTIExportError(f"the package written does not read back: {err}") from None
    if len(got_items) != len(items):
        raise QTIExportError("the package written does not read back: number of items differs")
    for a, b in zip(items, got_items):
        for f in dataclasses.fields(Item):
            va, vb = getattr(a, f.name), getattr(b, f.name)
            if va != vb or type(va) is not type(vb):
                raise QTIExportError(f"item {a.id} v{a.version}: {f.name} would not survive the "
                                     f"round trip ({va!r} would read back as {vb!r})")
    if {k: (v[0], bytes(v[1])) for k, v in assets.items()} != got_assets:
        raise QTIExportError("assets would not survive the round trip")


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


def _typed(value: Any) -> tuple[str, str]:
    if isinstance(value, bool):
        return "bool", "true" if value else "false"
    if isinstance(value, int):
        return "int", str(value)
    if isinstance(value, float) and math.isfinite(value):
        return "float", repr(value)
    if isinstance(value, str):
        return "str", value
    return "json", json.dumps(value, ensure_ascii=False, sort_keys=False)


def _item_metadata(md: ET.Element, item: Item) -> None:
    qm = ET.SubElement(md, f"{{{QTIMD_NS}}}qtiMetadata")
    n_interactions = len(item.key) if item.kind == "c_test" else 1
    for tag, text in [("timeDependent", "false"), ("composite", str(n_interactions > 1).lower()),
                      ("interactionType", _INTERACTION[item.kind]), ("feedbackType", "none"),
                      ("solutionAvailable", str(item.key is not None).lower()),
                      ("scoringMode", "externalmachine" if item.kind in _EXTERNAL
                       else "responseprocessing"),
                      ("toolName", "Taitotaso"), ("toolVendor", "Taitotaso")]:
        ET.SubElement(qm, f"{{{QTIMD_NS}}}{tag}").text = text
    attrs = {"id": item.id, "version": str(item.version), "kind": item.kind, "skill": item.skill,
             "cefr": item.cefr, "topic": item.topic, "status": item.status,
             "position": str(item.position)}
    if item.testlet:
        attrs["testlet"] = item.testlet
    ti = ET.SubElement(md, _tt("item"), attrs)
    irt = {"model": item.irt.model, "a": _fmt_float(item.irt.a), "b": _fmt_float(item.irt.b),
           "c": _fmt_float(item.irt.c)}
    if item.irt.thresholds:
        irt["thresholds"] = " ".join(_fmt_float(t) for t in item.irt.thresholds)
    ET.SubElement(ti, _tt("irt"), irt)
    for name, value in item.content.items():
        if name in _BODY_FIELDS[item.kind]:
            continue
        type_, text = _typed(value)
        ET.SubElement(ti, _tt("content"), {"name": name, "type": type_}).text = text
    for role, sha in item.assets.items():
        ET.SubElement(ti, _tt("asset"), {"role": role, "sha256": sha})


# ------------------------------------------------------------------------- import

def import_package(data: bytes) -> tuple[list[Item], dict[str, tuple[str, bytes]]]:
    """The items and assets of a package written by :func:`export_package`.

    Everything is checked before anything is returned; any problem raises
    :class:`QTIImportError` naming the file inside the zip and the element or field.
    """
    return _Reader(_read_zip(data)).read()


def _err(where: str, message: str) -> QTIImportError:
    return QTIImportError(f"{where}: {message}")


def _unsafe(name: str) -> bool:
    if not name or name.startswith(("/", "\\")) or "\\" in name or "\x00" in name:
        return True
    if re.match(r"[A-Za-z]:", name):
        return True
    return any(part == ".." for part in name.split("/"))


def _read_zip(data: bytes) -> dict[str, bytes]:
    if not isinstance(data, (bytes, bytearray)):
        raise QTIImportError(f"package: expected the zip file's bytes, got {type(data).__name__}")
    try:
        zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise QTIImportError(f"package: not a zip file ({err})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES:
            raise QTIImportError(f"package: {len(infos)} files in the zip, more than the "
                                 f"{MAX_ENTRIES} allowed")
        seen: set[str] = set()
        total = 0
        for info in infos:
            name = info.filename
            if _unsafe(name):
                raise QTIImportError(f"{name}: unsafe path in the zip (absolute, or with '..'); "
                                     "the package is refused")
            if name in seen:
                raise QTIImportError(f"{name}: is in the zip twice")
            seen.add(name)
            if info.flag_bits & 0x1:
                raise QTIImportError(f"{name}: is encrypted")
            total += info.file_size
        if total > MAX_UNCOMPRESSED:
            raise QTIImportError(f"package: {total} bytes uncompressed, more than the limit of "
                                 f"{MAX_UNCOMPRESSED} bytes ({MAX_UNCOMPRESSED // 2**20} MB)")
        files: dict[str, bytes] = {}
        for info in infos:
            if info.is_dir():
                continue
            try:
                with zf.open(info) as fh:
                    blob = fh.read(info.file_size + 1)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error, EOFError,
                    OSError, ValueError) as err:
                raise QTIImportError(f"{info.filename}: cannot be read from the zip ({err})") from None
            if len(blob) != info.file_size:
                raise QTIImportError(f"{info.filename}: its size in the zip directory is wrong")
            files[info.filename] = blob
    return files


def _parse_xml(name: str, raw: bytes) -> ET.Element:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise _err(name, f"not UTF-8 text ({err})") from None
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise _err(name, "document type declarations (<!DOCTYPE>, <!ENTITY>) are not allowed")
    try:
        return ET.fromstring(text)
    except ET.ParseError as err:
        line, column = err.position
        reason = re.sub(r":\s*line \d+, column \d+$", "", str(err))
        raise _err(name, f"XML syntax error at line {line}, column {column + 1}: {reason}") from None


def _local(elem: ET.Element, ns: str, where: str) -> str:
    tag = elem.tag if isinstance(elem.tag, str) else ""
    if not tag.startswith(f"{{{ns}}}"):
        raise _err(where, f"unexpected element <{tag}> (expected the namespace {ns})")
    return tag[len(ns) + 2:]


def _attr(elem: ET.Element, name: str, where: str) -> str:
    value = elem.get(name)
    if value is None:
        raise _err(where, f"attribute {name!r} is missing")
    return value


def _int_attr(elem: ET.Element, name: str, where: str, minimum: int) -> int:
    raw = _attr(elem, name, where)
    if not re.fullmatch(r"\d+", raw) or int(raw) < minimum:
        raise _err(where, f"attribute {name!r} must be a whole number from {minimum} up, got {raw!r}")
    return int(raw)


def _float(raw: str, where: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise _err(where, f"{raw!r} is not a number") from None
    if not math.isfinite(value):
        raise _err(where, f"{raw!r} is not a finite number")
    return value


def _mixed(elem: ET.Element, where: str, allowed: tuple[str, ...] = (),
           strong: bool = False) -> list:
    """Mixed content as [text, element, text, element, ..., text]; <br/> read as a line
    break and <strong>x</strong> as ``**x**`` where allowed."""
    out: list = [elem.text or ""]
    for child in elem:
        tag = _local(child, QTI_NS, where)
        if tag == "br" and not len(child) and not child.text:
            out[-1] += "\n"
        elif tag == "strong" and strong and not len(child):
            out[-1] += "**" + (child.text or "") + "**"
        elif tag in allowed:
            out += [child, ""]
        else:
            raise _err(where, f"unexpected element <{tag}> in <{_local(elem, QTI_NS, where)}>")
        out[-1] += child.tail or ""
    return out


def _text(elem: ET.Element, where: str, strong: bool = False) -> str:
    return _mixed(elem, where, (), strong)[0]


def _blocks(parent: ET.Element, where: str, required: tuple[str, ...],
            optional: tuple[str, ...] = ()) -> dict[str, ET.Element]:
    """The children of an element-only container, by tag (qti-*) or tag.class (HTML)."""
    if (parent.text or "").strip():
        raise _err(where, f"unexpected text {parent.text.strip()[:40]!r}")
    found: dict[str, ET.Element] = {}
    for child in parent:
        tag = _local(child, QTI_NS, where)
        key = tag if tag.startswith("qti-") else f"{tag}.{child.get('class', '')}"
        if key not in required and key not in optional:
            raise _err(where, f"unexpected element <{tag}{' class=' + repr(child.get('class')) if child.get('class') else ''}>")
        if key in found:
            raise _err(where, f"<{key}> appears twice")
        if (child.tail or "").strip():
            raise _err(where, f"unexpected text {child.tail.strip()[:40]!r}")
        found[key] = child
    for key in required:
        if key not in found:
            raise _err(where, f"<{key}> is missing")
    return found


class _Reader:
    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.assets: dict[str, tuple[str, bytes]] = {}
        self.asset_files: dict[str, str] = {}  # href -> sha
        self.stimuli: dict[str, tuple[str, dict, str | None, str | None]] = {}

    # ---- manifest
    def read(self) -> tuple[list[Item], dict[str, tuple[str, bytes]]]:
        if MANIFEST not in self.files:
            raise QTIImportError(f"package: {MANIFEST} is missing (a QTI package has its manifest "
                                 "at the top of the zip)")
        root = _parse_xml(MANIFEST, self.files[MANIFEST])
        if root.tag != _cp("manifest"):
            raise _err(MANIFEST, f"root element is <{root.tag}>, expected <manifest> in {CP_NS}")
        resources_el = root.find(_cp("resources"))
        if resources_el is None:
            raise _err(MANIFEST, "<resources> is missing")
        resources: dict[str, ET.Element] = {}
        for res in resources_el:
            where = f"{MANIFEST}: <resources>"
            if _local(res, CP_NS, where) != "resource":
                raise _err(where, f"unexpected element <{res.tag}>")
            ident = _attr(res, "identifier", f"{MANIFEST}: resource")
            where = f"{MANIFEST}: resource {ident}"
            if ident in resources:
                raise QTIImportError(f"{where}: the identifier is used twice")
            rtype = _attr(res, "type", where)
            if rtype not in (ITEM_TYPE, STIMULUS_TYPE, ASSET_TYPE):
                raise QTIImportError(f"{where}: type {rtype!r} is not one this importer reads "
                                     f"({ITEM_TYPE}, {STIMULUS_TYPE}, {ASSET_TYPE})")
            hrefs = [_attr(res, "href", where)]
            hrefs += [_attr(f, "href", f"{where}: <file>") for f in res.findall(_cp("file"))]
            for href in hrefs:
                if _unsafe(href) or posixpath.normpath(href) != href:
                    raise QTIImportError(f"{where}: file path {href!r} is not a plain relative path")
                if href not in self.files:
                    raise QTIImportError(f"{where} refers to {href}, which is not in the package")
            resources[ident] = res
        for ident, res in resources.items():
            for dep in res.findall(_cp("dependency")):
                ref = _attr(dep, "identifierref", f"{MANIFEST}: resource {ident}: <dependency>")
                if ref not in resources:
                    raise QTIImportError(f"{MANIFEST}: resource {ident} depends on {ref}, which is "
                                         "not a resource of the package")
        by_type = lambda t: [(i, r) for i, r in resources.items() if r.get("type") == t]  # noqa: E731
        for ident, res in by_type(ASSET_TYPE):
            self._asset(ident, res)
        for ident, res in by_type(STIMULUS_TYPE):
            self._stimulus(ident, res)
        items: list[Item] = []
        seen: dict[tuple[str, int], str] = {}
        for ident, res in by_type(ITEM_TYPE):
            item = self._item(ident, res)
            if (item.id, item.version) in seen:
                raise QTIImportError(f"{res.get('href')}: item {item.id} version {item.version} is "
                                     f"also in {seen[(item.id, item.version)]}")
            seen[(item.id, item.version)] = res.get("href")
            items.append(item)
        return items, self.assets

    def _metadata(self, res: ET.Element, where: str, tag: str) -> ET.Element:
        md = res.find(_cp("metadata"))
        found = md.find(_tt(tag)) if md is not None else None
        if found is None:
            raise QTIImportError(f"{where}: metadata <tt:{tag}> (namespace {TT_NS}) is missing")
        return found

    # ---- assets
    def _asset(self, ident: str, res: ET.Element) -> None:
        where = f"{MANIFEST}: resource {ident}"
        meta = self._metadata(res, where, "asset")
        sha = _attr(meta, "sha256", f"{where}: tt:asset")
        media_type = _attr(meta, "media-type", f"{where}: tt:asset")
        if not _SHA_RE.fullmatch(sha):
            raise QTIImportError(f"{where}: tt:asset sha256 {sha!r} is not a sha256 in lowercase hex")
        if not _MEDIA_RE.fullmatch(media_type):
            raise QTIImportError(f"{where}: tt:asset media-type {media_type!r} is not of the form "
                                 "type/subtype")
        if ident != f"asset_{sha}":
            raise QTIImportError(f"{where}: an asset's identifier must be asset_<sha256>")
        href = res.get("href")
        blob = self.files[href]
        actual = hashlib.sha256(blob).hexdigest()
        if actual != sha:
            raise QTIImportError(f"{href}: checksum mismatch: the manifest (resource {ident}, "
                                 f"tt:asset sha256) says {sha}, the file's sha256 is {actual}")
        self.assets[sha] = (media_type, blob)
        self.asset_files[href] = sha

    def _audio_sha(self, parent: ET.Element, path: str, where: str) -> str | None:
        """The asset an <audio> in ``parent`` plays (None when there is none)."""
        audios = list(parent)
        if not audios:
            return None
        if len(audios) != 1 or _local(audios[0], QTI_NS, where) != "audio":
            raise _err(where, "expected one <audio> element")
        sources = list(audios[0])
        if len(sources) != 1 or _local(sources[0], QTI_NS, where) != "source":
            raise _err(f"{where}: <audio>", "expected one <source> element")
        src = _attr(sources[0], "src", f"{where}: <audio><source>")
        target = posixpath.normpath(posixpath.join(posixpath.dirname(path), src))
        if target not in self.asset_files:
            raise _err(f"{where}: <audio><source>", f"src {src!r} is not an asset of the package")
        sha = self.asset_files[target]
        if sources[0].get("type") != self.assets[sha][0]:
            raise _err(f"{where}: <audio><source>", f"type {sources[0].get('type')!r} is not the "
                       f"asset's media type {self.assets[sha][0]!r}")
        return sha

    # ---- stimuli
    def _stimulus(self, ident: str, res: ET.Element) -> None:
        where = f"{MANIFEST}: resource {ident}"
        meta = self._metadata(res, where, "stimulus")
        testlet = meta.get("testlet")
        audio_el = meta.find(_tt("audio-text"))
        path = res.get("href")
        root = _parse_xml(path, self.files[path])
        if root.tag != _q("qti-assessment-stimulus"):
            raise _err(path, f"root element is <{root.tag}>, expected <qti-assessment-stimulus> in {QTI_NS}")
        if root.get("identifier") != ident:
            raise _err(path, f"qti-assessment-stimulus identifier {root.get('identifier')!r} does "
                       f"not match the manifest resource {ident}")
        body_el = root.find(_q("qti-stimulus-body"))
        if body_el is None:
            raise _err(path, "qti-stimulus-body is missing")
        w = f"{path}: qti-stimulus-body"
        blocks = _blocks(body_el, w, (), ("h2.tt-title", "div.tt-text", "div.tt-audio"))
        stimulus: dict[str, str] = {}
        if "h2.tt-title" in blocks:
            stimulus["title"] = _text(blocks["h2.tt-title"], f"{w}: h2.tt-title")
        audio_sha = None
        if "div.tt-text" in blocks:
            stimulus["text"] = _text(blocks["div.tt-text"], f"{w}: div.tt-text")
        if "div.tt-audio" in blocks:
            if audio_el is None:
                raise QTIImportError(f"{where}: a listening stimulus needs <tt:audio-text> in its metadata")
            audio_sha = self._audio_sha(blocks["div.tt-audio"], path, f"{w}: div.tt-audio")
        if audio_el is not None:
            if "div.tt-audio" not in blocks:
                raise _err(w, "a stimulus with tt:audio-text needs <div class='tt-audio'>")
            if len(audio_el):
                raise QTIImportError(f"{where}: tt:audio-text holds text only")
            stimulus["audio_text"] = audio_el.text or ""
        try:
            _schema("stimulus").load(stimulus)
        except ValidationError as err:
            raise _err(path, f"stimulus: {err.normalized_messages()}") from None
        if testlet is not None and not ID_RE.fullmatch(testlet):
            raise QTIImportError(f"{where}: tt:stimulus testlet {testlet!r}: ids use lowercase "
                                 "letters, digits and hyphens")
        self.stimuli[ident] = (path, stimulus, testlet, audio_sha)

    # ---- items
    def _item(self, ident: str, res: ET.Element) -> Item:
        where = f"{MANIFEST}: resource {ident}"
        meta = self._metadata(res, where, "item")
        mw = f"{where}: tt:item"
        kind = _attr(meta, "kind", mw)
        if kind not in KINDS:
            raise QTIImportError(f"{mw}: unknown kind {kind!r} (known kinds: {', '.join(KINDS)})")
        fields = {name: _attr(meta, name, mw) for name in ("id", "skill", "cefr", "topic", "status")}
        version = _int_attr(meta, "version", mw, 1)
        position = _int_attr(meta, "position", mw, 0)
        testlet = meta.get("testlet")
        irt_el = meta.find(_tt("irt"))
        if irt_el is None:
            raise QTIImportError(f"{mw}: <tt:irt> is missing")
        iw = f"{mw}: tt:irt"
        thresholds = tuple(_float(t, f"{iw} thresholds") for t in (irt_el.get("thresholds") or "").split())
        irt = IRT(a=_float(_attr(irt_el, "a", iw), f"{iw} a"), b=_float(_attr(irt_el, "b", iw), f"{iw} b"),
                  c=_float(_attr(irt_el, "c", iw), f"{iw} c"), model=_attr(irt_el, "model", iw),
                  thresholds=thresholds)
        extra: dict[str, Any] = {}
        for el in meta.findall(_tt("content")):
            name = _attr(el, "name", f"{mw}: tt:content")
            cw = f"{mw}: tt:content {name}"
            if name in _BODY_FIELDS[kind]:
                raise QTIImportError(f"{cw}: this field belongs in the item body")
            if name in extra:
                raise QTIImportError(f"{cw}: appears twice")
            extra[name] = _untyped(_attr(el, "type", cw), el.text or "", cw)
        item_assets: dict[str, str] = {}
        for el in meta.findall(_tt("asset")):
            role = _attr(el, "role", f"{mw}: tt:asset")
            sha = _attr(el, "sha256", f"{mw}: tt:asset {role}")
            if role in item_assets:
                raise QTIImportError(f"{mw}: tt:asset {role} appears twice")
            if sha not in self.assets:
                raise QTIImportError(f"{mw}: tt:asset {role} refers to asset {sha}, which is not in "
                                     "the package")
            item_assets[role] = sha

        path = res.get("href")
        root = _parse_xml(path, self.files[path])
        if root.tag != _q("qti-assessment-item"):
            raise _err(path, f"root element is <{root.tag}>, expected <qti-assessment-item> in {QTI_NS}")
        if root.get("identifier") != ident:
            raise _err(path, f"qti-assessment-item identifier {root.get('identifier')!r} does not "
                       f"match the manifest resource {ident}")
        decls = self._declarations(root, path, kind)
        stimulus = self._stimulus_ref(root, path, testlet, item_assets)
        body_el = root.find(_q("qti-item-body"))
        if body_el is None:
            raise _err(path, "qti-item-body is missing")
        content, key, accept = self._body(kind, body_el, decls, path, item_assets)
        if kind == "c_test":
            key = self._ctest(body_el, decls, path, extra)
        content.update(extra)
        rp = root.find(_q("qti-response-processing"))
        if kind in _TEMPLATE and (rp is None or rp.get("template") != _TEMPLATE[kind]):
            raise _err(path, f"qti-response-processing: a {kind} item uses the template {_TEMPLATE[kind]}")
        item = Item(id=fields["id"], kind=kind, skill=fields["skill"], cefr=fields["cefr"],
                    topic=fields["topic"], content=content, key=key, irt=irt, accept=accept,
                    version=version, status=fields["status"], testlet=testlet, position=position,
                    stimulus=stimulus, assets=item_assets)
        problem = _item_problem(item)
        if problem:
            raise _err(path, f"item {item.id}: {problem}")
        if _identifier(item) != ident:
            raise QTIImportError(f"{where}: the identifier must be {_identifier(item)} "
                                 f"(from tt:item id and version)")
        return item

    def _declarations(self, root: ET.Element, path: str, kind: str) -> dict[str, dict]:
        decls: dict[str, dict] = {}
        for d in root.findall(_q("qti-response-declaration")):
            ident = _attr(d, "identifier", f"{path}: qti-response-declaration")
            w = f"{path}: qti-response-declaration {ident}"
            if ident in decls:
                raise _err(w, "declared twice")
            if _attr(d, "cardinality", w) != "single":
                raise _err(w, f"cardinality must be 'single', got {d.get('cardinality')!r}")
            if _attr(d, "base-type", w) != _BASE_TYPE[kind]:
                raise _err(w, f"base-type must be {_BASE_TYPE[kind]!r} for a {kind} item, got "
                           f"{d.get('base-type')!r}")
            correct = None
            cr = d.find(_q("qti-correct-response"))
            if cr is not None:
                values = cr.findall(_q("qti-value"))
                if len(values) != 1:
                    raise _err(f"{w}: qti-correct-response", "expected exactly one qti-value")
                correct = _text(values[0], f"{w}: qti-correct-response")
            mapping = None
            m = d.find(_q("qti-mapping"))
            if m is not None:
                mapping = []
                for entry in m.findall(_q("qti-map-entry")):
                    ew = f"{w}: qti-mapping: qti-map-entry"
                    mapping.append(_attr(entry, "map-key", ew))
                    if _float(_attr(entry, "mapped-value", ew), f"{ew} mapped-value") != 1:
                        raise _err(ew, "mapped-value must be 1 (an accepted answer)")
                    if entry.get("case-sensitive") != "false":
                        raise _err(ew, "case-sensitive must be 'false'")
            decls[ident] = {"correct": correct, "mapping": mapping, "where": w}
        score = [o for o in root.findall(_q("qti-outcome-declaration")) if o.get("identifier") == "SCORE"]
        if not score:
            raise _err(path, "qti-outcome-declaration SCORE is missing")
        return decls

    def _stimulus_ref(self, root: ET.Element, path: str, testlet: str | None,
                      item_assets: dict[str, str]) -> dict | None:
        refs = root.findall(_q("qti-assessment-stimulus-ref"))
        if not refs:
            return None
        if len(refs) > 1:
            raise _err(path, "more than one qti-assessment-stimulus-ref")
        w = f"{path}: qti-assessment-stimulus-ref"
        sid = _attr(refs[0], "identifier", w)
        if sid not in self.stimuli:
            raise _err(w, f"identifier {sid!r} is not a stimulus resource of the package")
        stim_path, stimulus, stim_testlet, audio_sha = self.stimuli[sid]
        href = _attr(refs[0], "href", w)
        if posixpath.normpath(posixpath.join(posixpath.dirname(path), href)) != stim_path:
            raise _err(w, f"href {href!r} is not the file of stimulus {sid} ({stim_path})")
        if stim_testlet != testlet:
            raise _err(w, f"stimulus {sid} belongs to testlet {stim_testlet!r}, the item to {testlet!r}")
        own = item_assets.get("stimulus_audio")
        if own and audio_sha and own != audio_sha:
            raise _err(w, f"the stimulus plays asset {audio_sha}, the item's stimulus_audio is {own}")
        return dict(stimulus)

    def _correct(self, decls: dict, ident: str, path: str, need_mapping: bool = False) -> dict:
        if ident not in decls:
            raise _err(path, f"qti-response-declaration {ident} is missing")
        d = decls[ident]
        if d["correct"] is None:
            raise _err(d["where"], "qti-correct-response is missing")
        if need_mapping:
            if not d["mapping"]:
                raise _err(d["where"], "qti-mapping with the accepted answers is missing")
            if d["mapping"][0] != d["correct"]:
                raise _err(d["where"], f"the first accepted answer {d['mapping'][0]!r} must be the "
                           f"correct response {d['correct']!r}")
        return d

    def _interaction(self, elem: ET.Element, ident: str, decls: dict, where: str) -> None:
        rid = _attr(elem, "response-identifier", where)
        if rid != ident:
            raise _err(where, f"response-identifier must be {ident!r}, got {rid!r}")
        if rid not in decls:
            raise _err(where, f"response-identifier {rid!r} has no qti-response-declaration")

    def _prompt(self, interaction: ET.Element, where: str, required: bool = True) -> str | None:
        prompts = interaction.findall(_q("qti-prompt"))
        if not prompts:
            if required:
                raise _err(where, "qti-prompt is missing")
            return None
        return _text(prompts[0], f"{where}: qti-prompt")

    def _body(self, kind: str, body: ET.Element, decls: dict, path: str,
              item_assets: dict[str, str]) -> tuple[dict, Any, tuple[str, ...]]:
        w = f"{path}: qti-item-body"
        if kind != "c_test" and set(decls) != {"RESPONSE"}:
            raise _err(path, f"a {kind} item declares exactly the response RESPONSE, found "
                       f"{sorted(decls) or 'none'}")
        content: dict[str, Any] = {}
        key: Any = None
        accept: tuple[str, ...] = ()
        if kind in ("multiple_choice", "yes_no"):
            if kind == "multiple_choice":
                blocks = _blocks(body, w, ("qti-choice-interaction",), ("p.tt-context",))
            else:
                blocks = _blocks(body, w, ("qti-choice-interaction", "p.tt-word"))
            ci = blocks["qti-choice-interaction"]
            cw = f"{path}: qti-choice-interaction"
            self._interaction(ci, "RESPONSE", decls, cw)
            if ci.get("max-choices") != "1":
                raise _err(cw, "max-choices must be 1")
            choices: dict[str, str] = {}
            for child in ci:
                tag = _local(child, QTI_NS, cw)
                if tag == "qti-prompt":
                    continue
                if tag != "qti-simple-choice":
                    raise _err(cw, f"unexpected element <{tag}>")
                cid = _attr(child, "identifier", f"{cw}: qti-simple-choice")
                if cid in choices:
                    raise _err(cw, f"choice {cid!r} appears twice")
                choices[cid] = _text(child, f"{cw}: qti-simple-choice {cid}")
            d = self._correct(decls, "RESPONSE", path)
            if d["correct"] not in choices:
                raise _err(cw, f"correct response {d['correct']!r} is not a choice "
                           f"(choices: {', '.join(choices)})")
            key = d["correct"]
            if kind == "multiple_choice":
                prompt = self._prompt(ci, cw)
                if "p.tt-context" in blocks:
                    content["context"] = _text(blocks["p.tt-context"], f"{w}: p.tt-context", strong=True)
                content.update(prompt=prompt, choices=choices)
            else:
                if set(choices) != set(_YES_NO):
                    raise _err(cw, f"a yes_no item has the choices yes and no, found {', '.join(choices)}")
                content["word"] = _text(blocks["p.tt-word"], f"{w}: p.tt-word")
        elif kind == "cloze":
            blocks = _blocks(body, w, ("p.tt-cloze",), ("p.tt-hint",))
            pw = f"{w}: p.tt-cloze"
            parts = _mixed(blocks["p.tt-cloze"], pw, ("qti-text-entry-interaction",))
            if len(parts) != 3:
                raise _err(pw, "a cloze text has exactly one qti-text-entry-interaction")
            self._interaction(parts[1], "RESPONSE", decls, f"{pw}: qti-text-entry-interaction")
            content["text"] = parts[0] + "___" + parts[2]
            if "p.tt-hint" in blocks:
                content["hint"] = _text(blocks["p.tt-hint"], f"{w}: p.tt-hint")
            d = self._correct(decls, "RESPONSE", path, need_mapping=True)
            key, accept = d["correct"], tuple(d["mapping"])
        elif kind == "dictation":
            blocks = _blocks(body, w, ("qti-extended-text-interaction",), ("div.tt-audio",))
            self._interaction(blocks["qti-extended-text-interaction"], "RESPONSE", decls,
                              f"{path}: qti-extended-text-interaction")
            if "div.tt-audio" in blocks:
                sha = self._audio_sha(blocks["div.tt-audio"], path, f"{w}: div.tt-audio")
                if sha and item_assets.get("audio") != sha:
                    raise _err(f"{w}: div.tt-audio", f"plays asset {sha}, but the item's audio asset "
                               f"in the manifest (tt:asset audio) is {item_assets.get('audio')}")
            elif item_assets.get("audio"):
                raise _err(w, "the item has an audio asset but no <div class='tt-audio'> to play it")
            d = self._correct(decls, "RESPONSE", path)
            content["audio_text"] = key = d["correct"]
        elif kind == "c_test":
            _blocks(body, w, ("p.tt-ctest",))
        elif kind == "sentence_building":
            blocks = _blocks(body, w, ("ul.tt-words", "p.tt-answer"), ("p.tt-instruction",))
            uw = f"{w}: ul.tt-words"
            words = []
            for li in _blocks_list(blocks["ul.tt-words"], uw, "li"):
                words.append(_text(li, f"{uw}: li"))
            content["words"] = words
            aw = f"{w}: p.tt-answer"
            parts = _mixed(blocks["p.tt-answer"], aw, ("qti-text-entry-interaction",))
            if len(parts) != 3 or parts[0].strip() or parts[2].strip():
                raise _err(aw, "expected one qti-text-entry-interaction")
            self._interaction(parts[1], "RESPONSE", decls, f"{aw}: qti-text-entry-interaction")
            d = self._correct(decls, "RESPONSE", path, need_mapping=True)
            key, accept = d["correct"], tuple(d["mapping"])
        elif kind == "writing_task":
            blocks = _blocks(body, w, ("qti-extended-text-interaction",))
            ew = f"{path}: qti-extended-text-interaction"
            self._interaction(blocks["qti-extended-text-interaction"], "RESPONSE", decls, ew)
            content["prompt"] = self._prompt(blocks["qti-extended-text-interaction"], ew)
        elif kind in ("read_aloud", "speaking_prompt"):
            optional = ("div.tt-read-aloud",) if kind == "read_aloud" else ()
            blocks = _blocks(body, w, ("qti-upload-interaction",) + optional)
            uw = f"{path}: qti-upload-interaction"
            self._interaction(blocks["qti-upload-interaction"], "RESPONSE", decls, uw)
            if kind == "read_aloud":
                content["text"] = _text(blocks["div.tt-read-aloud"], f"{w}: div.tt-read-aloud")
            else:
                content["prompt"] = self._prompt(blocks["qti-upload-interaction"], uw)
        if kind in ("writing_task", "read_aloud", "speaking_prompt"):
            if decls["RESPONSE"]["correct"] is not None:
                raise _err(decls["RESPONSE"]["where"], f"a {kind} item has no correct response")
        return content, key, accept

    def _ctest(self, body: ET.Element, decls: dict, path: str, extra: dict) -> list[str]:
        text = extra.get("text")
        if not isinstance(text, str):
            raise QTIImportError(f"{path}: the C-test source text (tt:content text, type str) is "
                                 "missing from the item's metadata in the manifest")
        pw = f"{path}: qti-item-body: p.tt-ctest"
        parts = _mixed(body.find(_q("p")), pw, ("qti-text-entry-interaction",))
        expected: list = [""]
        gaps: list[Gap] = []
        for part in damage(text):
            if isinstance(part, Gap):
                gaps.append(part)
                expected[-1] += part.prefix
                expected += [f"GAP_{len(gaps)}", ""]
            else:
                expected[-1] += part
        got = [p if isinstance(p, str) else p.get("response-identifier") for p in parts]
        if got != expected:
            raise _err(pw, "the damaged text and its gaps GAP_1.. do not match the C-test source "
                       "text in the manifest (tt:content text)")
        if set(decls) != {f"GAP_{n}" for n in range(1, len(gaps) + 1)}:
            raise _err(path, f"a C-test declares the responses GAP_1..GAP_{len(gaps)}, found "
                       f"{', '.join(sorted(decls))}")
        key = []
        for n, gap in enumerate(gaps, 1):
            d = self._correct(decls, f"GAP_{n}", path)
            if d["correct"] != gap.missing:
                raise _err(d["where"], f"correct response {d['correct']!r} is not the part the "
                           f"C-test rule removes ({gap.missing!r})")
            key.append(d["correct"])
        return key


def _blocks_list(parent: ET.Element, where: str, tag: str) -> list[ET.Element]:
    if (parent.text or "").strip():
        raise _err(where, f"unexpected text {parent.text.strip()[:40]!r}")
    out = []
    for child in parent:
        if _local(child, QTI_NS, where) != tag:
            raise _err(where, f"unexpected element <{child.tag}>")
        if (child.tail or "").strip():
            raise _err(where, f"unexpected text {child.tail.strip()[:40]!r}")
        out.append(child)
    return out


def _untyped(type_: str, text: str, where: str) -> Any:
    if type_ == "str":
        return text
    if type_ == "int":
        if not re.fullmatch(r"-?\d+", text):
            raise _err(where, f"{text!r} is not a whole number")
        return int(text)
    if type_ == "float":
        return _float(text, where)
    if type_ == "bool":
        if text not in ("true", "false"):
            raise _err(where, f"{text!r} is not true or false")
        return text == "true"
    if type_ == "json":
        try:
            return json.loads(text)
        except ValueError as err:
            raise _err(where, f"not valid JSON ({err})") from None
    raise _err(where, f"type {type_!r} is not one of str, int, float, bool, json")
