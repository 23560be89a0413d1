"""Writing QTI XML: mixed content (line breaks as <br/>, ``**word**`` as <strong>), indentation
that leaves mixed content alone, and serialisation with a default namespace."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from .spec import _STRONG, QTIMD_NS, TT_NS, XML_NS, XSI_NS, _q


def _sub(parent: ET.Element, tag: str, attrs: dict[str, str] | None = None) -> ET.Element:
    return ET.SubElement(parent, _q(tag), attrs or {})


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
