"""``export_package``: the checks before writing, the manifest with its metadata, the zip, and
the round trip through ``import_package`` that what is returned is known to survive."""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import mimetypes
import zipfile
import xml.etree.ElementTree as ET
from typing import Any

from ..model import Item
from .errors import QTIExportError, QTIImportError
from .importer import import_package
from .item_writer import _item_xml, _stimulus_xml
from .spec import (_BODY_FIELDS, _CP_XSD, _EXTERNAL, _INTERACTION, _MEDIA_RE, _QTIMD_XSD, _SHA_RE,
                   ASSET_TYPE, CP_NS, ITEM_TYPE, MANIFEST, QTIMD_NS, STIMULUS_TYPE, XSI_NS, _cp,
                   _identifier, _tt)
from .validation import _item_problem
from .xmlwrite import _xml_bytes

_EXT = {"audio/ogg": ".ogg", "audio/opus": ".opus", "audio/mpeg": ".mp3", "audio/wav": ".wav",
        "audio/x-wav": ".wav", "audio/webm": ".webm", "audio/mp4": ".m4a", "audio/flac": ".flac",
        "image/png": ".png", "image/jpeg": ".jpg", "image/svg+xml": ".svg",
        "application/pdf": ".pdf", "text/plain": ".txt"}


def _ext(media_type: str) -> str:
    base = media_type.split(";")[0].strip().lower()
    return _EXT.get(base) or mimetypes.guess_extension(base) or ".bin"


def _fmt_float(x: float) -> str:
    return repr(float(x))


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
