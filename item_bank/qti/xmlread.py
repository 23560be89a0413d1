"""Reading QTI XML strictly: parsing without DTDs, namespaced tags, required attributes,
mixed content back into text, and element-only blocks; every problem a
:class:`~item_bank.qti.errors.QTIImportError` naming the file and the element."""
from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

from .errors import QTIImportError
from .spec import QTI_NS


def _err(where: str, message: str) -> QTIImportError:
    return QTIImportError(f"{where}: {message}")


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
