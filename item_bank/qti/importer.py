"""``import_package``: the zip read within limits and without unsafe paths, then the manifest,
the assets with their checksums, the shared stimuli and each item with its metadata, all
checked before anything is returned."""
from __future__ import annotations

import hashlib
import io
import json
import posixpath
import re
import zipfile
import zlib
import xml.etree.ElementTree as ET
from typing import Any

from marshmallow import ValidationError

from ..model import IRT, KINDS, Item
from ..schema import ID_RE
from .errors import QTIImportError
from .item_reader import ItemBodyReader
from .spec import (_BODY_FIELDS, _MEDIA_RE, _SHA_RE, _TEMPLATE, ASSET_TYPE, CP_NS, ITEM_TYPE, MANIFEST,
                   MAX_ENTRIES, MAX_UNCOMPRESSED, QTI_NS, STIMULUS_TYPE, TT_NS, _cp, _identifier, _q, _tt)
from .validation import _item_problem, _schema
from .xmlread import _attr, _err, _float, _int_attr, _local, _parse_xml, _text, _blocks


def import_package(data: bytes) -> tuple[list[Item], dict[str, tuple[str, bytes]]]:
    """The items and assets of a package written by :func:`export_package`.

    Everything is checked before anything is returned; any problem raises
    :class:`QTIImportError` naming the file inside the zip and the element or field.
    """
    return _Reader(_read_zip(data)).read()


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


class _Reader(ItemBodyReader):
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
