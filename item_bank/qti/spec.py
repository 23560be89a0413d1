"""What a Taitotaso QTI 3.0 package is made of: namespaces, resource types, response
processing templates, how each item kind maps onto a QTI interaction, the fixed Finnish
instructions, the limits on what import reads, and the identifier of an item."""
from __future__ import annotations

import re

from ..model import Item

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
_SHA_RE = re.compile(r"[0-9a-f]{64}")
_ROLE_RE = re.compile(r"[a-z][a-z0-9_]*")
_MEDIA_RE = re.compile(r"[A-Za-z0-9][\w.+-]*/[\w.+-]+(?:\s*;\s*[\w.+-]+=[\w.+\"-]+)*")
_NAME_RE = re.compile(r"[A-Za-z_][\w.-]*")
_STRONG = re.compile(r"\*\*(.+?)\*\*")
# characters XML 1.0 cannot carry (and \r, which XML parsers turn into \n)
_BAD_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_RESERVED = {"id", "kind", "skill", "cefr", "topic", "status", "key", "accept", "irt"}
_MODELS = ("3pl", "grm")


def _q(tag: str) -> str:
    return f"{{{QTI_NS}}}{tag}"


def _cp(tag: str) -> str:
    return f"{{{CP_NS}}}{tag}"


def _tt(tag: str) -> str:
    return f"{{{TT_NS}}}{tag}"


def _identifier(item: Item) -> str:
    ident = f"{item.id}-v{item.version}"
    return ident if _NAME_RE.fullmatch(ident) else f"_{ident}"
