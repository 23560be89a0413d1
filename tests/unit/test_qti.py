"""QTI 3.0 packages: export and import give back the same items and assets, and broken
packages are refused whole, with messages naming the file and the field."""
from __future__ import annotations

import hashlib
import io
import random
import re
import zipfile
import xml.etree.ElementTree as ET

import pytest

from item_bank import qti
from item_bank.content import load_content
from item_bank.ctest import gaps
from item_bank.model import IRT, KINDS, Item
from item_bank.qti import (CP_NS, QTI_NS, TT_NS, QTIExportError, QTIImportError, export_package,
                           import_package)

Q = f"{{{QTI_NS}}}"
CP = f"{{{CP_NS}}}"
TT = f"{{{TT_NS}}}"


def sha(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


LISTENING_AUDIO = b"OggS" + bytes(range(256)) * 8
DICTATION_AUDIO = b"OggS" + b"\x00\x01dictation" * 50
PICTURE = b"\x89PNG\r\n\x1a\n" + b"not really a picture"
ASSETS = {sha(LISTENING_AUDIO): ("audio/ogg", LISTENING_AUDIO),
          sha(DICTATION_AUDIO): ("audio/ogg", DICTATION_AUDIO),
          sha(PICTURE): ("image/png", PICTURE)}  # not used by any item: carried all the same

CTEST_TEXT = ("Espoon kirjasto on auki joka päivä. Kirjastossa voi lukea lehtiä ja käyttää "
              "tietokonetta. Tietokoneen voi varata netissä tai kirjaston tiskillä. Kirjastossa "
              "on myös kahvila, jossa voi juoda kahvia.\n")
READING = {"title": "Työpaikkailmoitus",
           "text": "Etsimme myyjää\nKauppa Oy, Espoo\n\nTyö alkaa  1.3. ja on osa-aikainen.\n"
                   "Hae viimeistään perjantaina.\n"}
LISTENING = {"title": "Puhelu terveysasemalle",
             "audio_text": "A: Leppävaaran terveysasema, hyvää huomenta.\n"
                           "B: Huomenta. Haluaisin varata ajan lääkärille.\n"}
GRM5 = IRT(a=1.5, b=-0.25, model="grm", thresholds=(-1.5, -0.5, 0.5, 1.4, 2.2))


def mc(id_, prompt, choices, key, **kw) -> Item:
    defaults = dict(skill="reading", cefr="B1", topic="employment_office",
                    irt=IRT(a=1.0, b=0.1 + 0.2, c=1 / 3))
    defaults.update(kw)
    return Item(id=id_, kind="multiple_choice", content={"prompt": prompt, "choices": choices},
                key=key, **defaults)


def every_kind() -> list[Item]:
    ctest_gaps = gaps(CTEST_TEXT)
    items = [
        # a reading testlet
        mc("rd-b1-myyja-1", "Millainen työ on?", {"a": "kokoaikainen", "b": "osa-aikainen",
                                                   "c": "kesätyö"}, "b",
           testlet="rd-b1-myyja", position=0, stimulus=dict(READING)),
        mc("rd-b1-myyja-2", "Milloin täytyy hakea?", {"a": "maanantaina", "b": "tänään",
                                                       "c": "perjantaina"}, "c",
           testlet="rd-b1-myyja", position=1, stimulus=dict(READING), status="reviewed"),
        # a listening testlet with its audio
        mc("li-b1-puhelu-1", "Mihin soittaja soittaa?", {"a": "kouluun", "b": "terveysasemalle"},
           "b", skill="listening", topic="health", testlet="li-b1-puhelu", position=0,
           stimulus=dict(LISTENING), assets={"stimulus_audio": sha(LISTENING_AUDIO)}),
        mc("li-b1-puhelu-2", "Mitä soittaja haluaa?", {"a": "ajan lääkärille", "b": "reseptin",
                                                       "c": "todistuksen", "d": "taksin"},
           "a", skill="listening", topic="health", testlet="li-b1-puhelu", position=1,
           stimulus=dict(LISTENING), assets={"stimulus_audio": sha(LISTENING_AUDIO)}),
        Item(id="vo-b1-sana-kuitti", kind="multiple_choice", skill="vocabulary", cefr="B1",
             topic="shopping",
             content={"context": "Säilytä **kuitti**, jos haluat palauttaa tuotteen.",
                      "prompt": 'Mitä sana "kuitti" tarkoittaa tässä?',
                      "choices": {"a": "ostotosite", "b": "alennus", "c": "pakkaus", "d": "takuu"}},
             key="a", irt=IRT(a=0.83, b=-0.41, c=0.22)),
        Item(id="vo-a1-yn-talo", kind="yes_no", skill="vocabulary", cefr="A1", topic="general",
             content={"word": "talo"}, key="yes", irt=IRT(a=0.8, b=-2.25, c=0.5)),
        Item(id="vo-a1-yn-kalvu", kind="yes_no", skill="vocabulary", cefr="A1", topic="general",
             content={"word": "tupelo"}, key="no", irt=IRT(a=0.8, b=-2.0, c=0.5), status="draft"),
        Item(id="st-a2-sija-espoo", kind="cloze", skill="structure", cefr="A2", topic="housing",
             content={"text": "Asun ___ kaksi vuotta.", "hint": "Espoo", "focus": "inessive"},
             key="Espoossa", accept=("Espoossa", "espoossa", "Espoossa nyt"),
             irt=IRT(a=1.2, b=-1.0)),
        Item(id="st-a2-sija-alku", kind="cloze", skill="vocabulary", cefr="A2", topic="daily_life",
             content={"text": "___ on kaunis kaupunki."}, key="Helsinki", accept=("Helsinki",),
             irt=IRT(a=1.2, b=-1.3)),
        Item(id="li-a2-sanelu-kauppa", kind="dictation", skill="listening", cefr="A2",
             topic="shopping", content={"audio_text": "Kauppa on auki kello yhdeksään asti."},
             key="Kauppa on auki kello yhdeksään asti.",
             irt=IRT(a=1.2, b=-1.25, model="grm", thresholds=(-2.75, 0.25)),
             assets={"audio": sha(DICTATION_AUDIO)}),
        Item(id="st-b1-ct-kirjasto", kind="c_test", skill="structure", cefr="B1",
             topic="city_services", content={"text": CTEST_TEXT},
             key=[g.missing for g in ctest_gaps],
             irt=IRT(a=1.0, b=0.25, model="grm",
                     thresholds=tuple(-1.25 + 0.25 * n for n in range(len(ctest_gaps))))),
        Item(id="st-a2-sb-kauppa", kind="sentence_building", skill="structure", cefr="A2",
             topic="shopping", content={"words": ["maitoa", "huomenna", "kaupasta", "ostan"]},
             key="Huomenna ostan maitoa kaupasta.",
             accept=("Huomenna ostan maitoa kaupasta.", "Ostan huomenna maitoa kaupasta."),
             irt=IRT(a=1.2, b=-1.25)),
        Item(id="wr-a2-viesti-sairas", kind="writing_task", skill="writing", cefr="A2",
             topic="workplace",
             content={"prompt": "Olet sairas etkä pääse huomenna töihin.\nKirjoita viesti "
                                "esihenkilöllesi.", "task_type": "message", "min_words": 30,
                      "max_words": 60},
             key=None, irt=GRM5, version=3, status="draft"),
        Item(id="sp-a2-la-kirjasto", kind="read_aloud", skill="speaking", cefr="A2",
             topic="city_services",
             content={"text": "Kirjasto on auki maanantaista perjantaihin.\nLauantaina se on "
                              "auki kello 10–16."}, key=None, irt=GRM5),
        Item(id="sp-b1-sp-tyopaikka", kind="speaking_prompt", skill="speaking", cefr="B1",
             topic="workplace",
             content={"prompt": "Kerro, millainen on sinun unelmatyöpaikkasi. Miksi?",
                      "task_type": "describe", "prep_seconds": 30, "max_seconds": 90},
             key=None, irt=GRM5, status="reviewed", version=2),
    ]
    assert {i.kind for i in items} == set(KINDS)
    return items


def assert_same(expected: list[Item], got: list[Item]) -> None:
    assert got == expected
    for a, b in zip(expected, got):
        # stimulus and assets are left out of Item equality: compare them too
        assert b.stimulus == a.stimulus, a.id
        assert b.assets == a.assets, a.id
        assert type(b.key) is type(a.key), a.id
        assert b.irt == a.irt and b.accept == a.accept, a.id


def files_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rezip(data: bytes, change=None, drop=(), add=()) -> bytes:
    """The package with files changed (name -> function of the bytes), dropped or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, blob in files_of(data).items():
            if name in drop:
                continue
            if change and name in change:
                blob = change[name](blob)
            zf.writestr(name, blob)
        for name, blob in add:
            zf.writestr(name, blob)
    return out.getvalue()


def refused(data: bytes, *fragments: str) -> str:
    result = "nothing raised"
    with pytest.raises(QTIImportError) as caught:
        result = import_package(data)
    assert result == "nothing raised"  # nothing was returned
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def item_file(item: Item) -> str:
    return f"items/{item.id}-v{item.version}.xml"


@pytest.fixture(scope="module")
def items() -> list[Item]:
    return every_kind()


@pytest.fixture(scope="module")
def package(items) -> bytes:
    return export_package(items, ASSETS)


# ----------------------------------------------------------------------- round trip

def test_every_kind_round_trips_with_identical_assets(items, package):
    got, assets = import_package(package)
    assert_same(items, got)
    assert assets == ASSETS
    for key, (media_type, blob) in assets.items():
        assert blob == ASSETS[key][1] and sha(blob) == key and media_type == ASSETS[key][0]
    # the listening testlet's items share one stimulus and one audio
    listening = [i for i in got if i.testlet == "li-b1-puhelu"]
    assert [i.position for i in listening] == [0, 1]
    assert all(i.stimulus == LISTENING for i in listening)
    assert {i.assets["stimulus_audio"] for i in listening} == {sha(LISTENING_AUDIO)}


def test_export_is_deterministic(items, package):
    assert export_package(items, ASSETS) == package


def test_real_items_round_trip():
    bank = load_content()
    sample = random.Random(0).sample(bank, 40)
    got, assets = import_package(export_package(sample, {}))
    assert_same(sample, got)
    assert assets == {}
    # and the whole bank at once
    got, _ = import_package(export_package(bank, {}))
    assert_same(bank, got)


def test_real_items_with_audio_assets_round_trip():
    bank = load_content()
    heard = [i for i in bank if i.audio_texts()]
    sample = random.Random(0).sample(heard, min(12, len(heard)))
    made: dict[str, tuple[str, bytes]] = {}
    with_audio = []
    for item in sample:
        roles = {}
        for role, text in item.audio_texts().items():
            blob = b"OggS" + text.encode("utf-8")
            made[sha(blob)] = ("audio/ogg", blob)
            roles[role] = sha(blob)
        with_audio.append(Item(**{**item.__dict__, "assets": roles}))
    got, assets = import_package(export_package(with_audio, made))
    assert_same(with_audio, got)
    assert assets == made


# ------------------------------------------------------------------ what is written

def test_package_holds_a_manifest_and_namespaced_qti(items, package):
    files = files_of(package)
    assert "imsmanifest.xml" in files
    for name, blob in files.items():
        if name.endswith(".xml"):
            ET.fromstring(blob)  # well-formed
    manifest = ET.fromstring(files["imsmanifest.xml"])
    assert manifest.tag == f"{CP}manifest"
    resources = manifest.findall(f"{CP}resources/{CP}resource")
    types = [r.get("type") for r in resources]
    assert types.count("imsqti_item_xmlv3p0") == len(items)
    assert types.count("imsqti_stimulus_xmlv3p0") == 2  # one per testlet
    assert types.count("webcontent") == len(ASSETS)
    for res in resources:  # every file the manifest names is in the zip
        for f in res.findall(f"{CP}file"):
            assert f.get("href") in files
    for item in items:
        root = ET.fromstring(files[item_file(item)])
        assert root.tag == f"{Q}qti-assessment-item"
        assert root.get("identifier") == f"{item.id}-v{item.version}"
        assert root.get("adaptive") == "false" and root.get("time-dependent") == "false"
        assert root.find(f"{Q}qti-outcome-declaration[@identifier='SCORE']") is not None
        for decl in root.findall(f"{Q}qti-response-declaration"):
            assert decl.get("cardinality") and decl.get("base-type")


def _item_root(package: bytes, item: Item) -> ET.Element:
    return ET.fromstring(files_of(package)[item_file(item)])


def test_interactions_by_kind(items, package):
    by_id = {i.id: i for i in items}
    root = _item_root(package, by_id["vo-b1-sana-kuitti"])
    choices = root.findall(f".//{Q}qti-choice-interaction/{Q}qti-simple-choice")
    assert [c.get("identifier") for c in choices] == ["a", "b", "c", "d"]
    assert root.find(f".//{Q}qti-correct-response/{Q}qti-value").text == "a"
    assert root.find(f".//{Q}p[@class='tt-context']/{Q}strong").text == "kuitti"
    assert "match_correct" in root.find(f"{Q}qti-response-processing").get("template")

    root = _item_root(package, by_id["vo-a1-yn-talo"])
    assert [c.get("identifier") for c in root.iter(f"{Q}qti-simple-choice")] == ["yes", "no"]

    root = _item_root(package, by_id["st-a2-sija-espoo"])
    entry = root.find(f".//{Q}p[@class='tt-cloze']/{Q}qti-text-entry-interaction")
    assert entry.get("response-identifier") == "RESPONSE"
    assert root.find(f".//{Q}qti-correct-response/{Q}qti-value").text == "Espoossa"
    keys = [(e.get("map-key"), e.get("case-sensitive"))
            for e in root.iter(f"{Q}qti-map-entry")]
    assert keys == [("Espoossa", "false"), ("espoossa", "false"), ("Espoossa nyt", "false")]
    assert "map_response" in root.find(f"{Q}qti-response-processing").get("template")

    item = by_id["st-b1-ct-kirjasto"]
    root = _item_root(package, item)
    entries = root.findall(f".//{Q}p[@class='tt-ctest']/{Q}qti-text-entry-interaction")
    assert [e.get("response-identifier") for e in entries] == [
        f"GAP_{n}" for n in range(1, len(item.key) + 1)]
    correct = [d.find(f"{Q}qti-correct-response/{Q}qti-value").text
               for d in root.findall(f"{Q}qti-response-declaration")]
    assert correct == item.key

    root = _item_root(package, by_id["li-a2-sanelu-kauppa"])
    assert root.find(f".//{Q}qti-extended-text-interaction") is not None
    body = ET.tostring(root.find(f"{Q}qti-item-body"), encoding="unicode")
    assert "Kauppa on auki" not in body  # what is heard is not shown
    src = root.find(f".//{Q}audio/{Q}source").get("src")
    assert src == f"../assets/{sha(DICTATION_AUDIO)}.ogg"

    root = _item_root(package, by_id["st-a2-sb-kauppa"])
    assert [li.text for li in root.iter(f"{Q}li")] == ["maitoa", "huomenna", "kaupasta", "ostan"]

    for id_, interaction in [("wr-a2-viesti-sairas", "qti-extended-text-interaction"),
                             ("sp-a2-la-kirjasto", "qti-upload-interaction"),
                             ("sp-b1-sp-tyopaikka", "qti-upload-interaction")]:
        root = _item_root(package, by_id[id_])
        assert root.find(f".//{Q}{interaction}") is not None, id_
        assert root.find(f".//{Q}qti-correct-response") is None, id_
        outcome = root.find(f"{Q}qti-outcome-declaration")
        assert outcome.get("external-scored") == "externalMachine"
        assert outcome.get("normal-maximum") == "5"


def test_shared_stimuli_and_the_review_only_transcript(items, package):
    files = files_of(package)
    stimulus = ET.fromstring(files["stimuli/stimulus_li-b1-puhelu.xml"])
    assert stimulus.tag == f"{Q}qti-assessment-stimulus"
    src = stimulus.find(f".//{Q}audio/{Q}source").get("src")
    assert src == f"../assets/{sha(LISTENING_AUDIO)}.ogg"
    # what is heard is in no file a delivery system shows, only in the manifest metadata
    heard = "Haluaisin varata ajan"
    shown = [n for n, b in files.items() if n.endswith(".xml") and n != "imsmanifest.xml"]
    assert not [n for n in shown if heard in files[n].decode("utf-8")]
    manifest = ET.fromstring(files["imsmanifest.xml"])
    transcript = manifest.find(f".//{TT}stimulus[@testlet='li-b1-puhelu']/{TT}audio-text")
    assert transcript.text == LISTENING["audio_text"] and transcript.get("review-only") == "true"
    reading = ET.fromstring(files["stimuli/stimulus_rd-b1-myyja.xml"])
    assert "Etsimme myyjää" in ET.tostring(reading, encoding="unicode")
    for item in items:
        if item.testlet:
            ref = _item_root(package, item).find(f"{Q}qti-assessment-stimulus-ref")
            assert ref.get("identifier") == f"stimulus_{item.testlet}"
            assert ref.get("href") == f"../stimuli/stimulus_{item.testlet}.xml"


def test_metadata_qti_has_no_place_for_is_in_the_manifest(items, package):
    manifest = ET.fromstring(files_of(package)["imsmanifest.xml"])
    meta = manifest.find(f".//{TT}item[@id='wr-a2-viesti-sairas']")
    assert meta.get("version") == "3" and meta.get("status") == "draft"
    assert meta.get("skill") == "writing" and meta.get("cefr") == "A2"
    assert meta.find(f"{TT}irt").get("thresholds") == "-1.5 -0.5 0.5 1.4 2.2"
    fields = {c.get("name"): (c.get("type"), c.text) for c in meta.findall(f"{TT}content")}
    assert fields == {"task_type": ("str", "message"), "min_words": ("int", "30"),
                      "max_words": ("int", "60")}
    meta = manifest.find(f".//{TT}item[@id='rd-b1-myyja-2']")
    assert meta.get("testlet") == "rd-b1-myyja" and meta.get("position") == "1"
    meta = manifest.find(f".//{TT}item[@id='li-a2-sanelu-kauppa']")
    assert meta.find(f"{TT}asset").attrib == {"role": "audio", "sha256": sha(DICTATION_AUDIO)}
    res = manifest.find(f".//{CP}resource[@identifier='li-a2-sanelu-kauppa-v1']")
    assert f"assets/{sha(DICTATION_AUDIO)}.ogg" in [f.get("href") for f in res.findall(f"{CP}file")]
    assert f"asset_{sha(DICTATION_AUDIO)}" in [d.get("identifierref")
                                               for d in res.findall(f"{CP}dependency")]


# ------------------------------------------------------------------ refused packages

def test_not_a_zip_is_refused():
    refused(b"this is not a zip", "package: not a zip file")
    refused(b"", "not a zip file")


def test_missing_manifest_is_refused(package):
    refused(rezip(package, drop={"imsmanifest.xml"}), "imsmanifest.xml is missing")


def test_broken_item_xml_is_refused_with_its_line(items, package):
    name = item_file(items[4])
    text = files_of(package)[name].decode("utf-8")
    broken = text.replace("</qti-item-body>", "</qti-item-bdy>")
    line = next(n for n, l in enumerate(broken.splitlines(), 1) if "qti-item-bdy" in l)
    message = refused(rezip(package, change={name: lambda _: broken.encode("utf-8")}),
                      f"{name}: XML syntax error at line {line}, column")
    assert "mismatched tag" in message


def test_broken_manifest_xml_is_refused(package):
    refused(rezip(package, change={"imsmanifest.xml": lambda b: b[:-40]}),
            "imsmanifest.xml: XML syntax error at line")


def test_correct_response_that_is_not_a_choice_is_refused(items, package):
    name = item_file(items[4])  # vo-b1-sana-kuitti, key a
    change = {name: lambda b: b.replace(b"<qti-value>a</qti-value>", b"<qti-value>e</qti-value>")}
    refused(rezip(package, change=change),
            f"{name}: qti-choice-interaction: correct response 'e' is not a choice")


def test_manifest_referring_to_a_missing_file_is_refused(items, package):
    asset = f"assets/{sha(DICTATION_AUDIO)}.ogg"
    refused(rezip(package, drop={asset}),
            f"imsmanifest.xml: resource asset_{sha(DICTATION_AUDIO)} refers to {asset}, "
            "which is not in the package")
    name = item_file(items[0])
    refused(rezip(package, drop={name}),
            f"imsmanifest.xml: resource rd-b1-myyja-1-v1 refers to {name}, which is not in the package")


def test_asset_checksum_mismatch_is_refused(package):
    asset = f"assets/{sha(LISTENING_AUDIO)}.ogg"
    refused(rezip(package, change={asset: lambda b: b + b"tampered"}),
            f"{asset}: checksum mismatch", sha(LISTENING_AUDIO))


@pytest.mark.parametrize("path", ["../evil.txt", "items/../../evil.txt", "/etc/evil"])
def test_zip_slip_paths_are_refused(package, path):
    refused(rezip(package, add=[(path, b"x")]), f"{path}: unsafe path")


def test_unknown_kind_is_refused(package):
    change = {"imsmanifest.xml": lambda b: b.replace(b'kind="yes_no"', b'kind="essay"', 1)}
    refused(rezip(package, change=change),
            "imsmanifest.xml: resource vo-a1-yn-talo-v1: tt:item: unknown kind 'essay'")


def test_missing_metadata_is_refused(package):
    change = {"imsmanifest.xml": lambda b: b.replace(b' skill="writing"', b"", 1)}
    refused(rezip(package, change=change),
            "imsmanifest.xml: resource wr-a2-viesti-sairas-v3: tt:item: attribute 'skill' is missing")
    change = {"imsmanifest.xml": lambda b: re.sub(rb"<tt:irt [^>]*/>", b"", b, count=1)}
    refused(rezip(package, change=change), "tt:item: <tt:irt> is missing")


def test_content_the_bank_would_not_take_is_refused(items, package):
    change = {"imsmanifest.xml": lambda b: b.replace(b'name="min_words" type="int">30<',
                                                     b'name="min_words" type="int">90<')}
    refused(rezip(package, change=change), item_file(items[12]), "min_words")


def test_ctest_body_that_does_not_match_its_source_is_refused(items, package):
    item = next(i for i in items if i.kind == "c_test")
    name = item_file(item)
    first = item.key[0].encode()
    change = {name: lambda b: b.replace(b"<qti-value>" + first + b"</qti-value>",
                                        b"<qti-value>xyz</qti-value>", 1)}
    refused(rezip(package, change=change), f"{name}: qti-response-declaration GAP_1",
            "correct response 'xyz'")


def test_doctype_is_refused(items, package):
    name = item_file(items[5])
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>'
    refused(rezip(package, change={name: lambda _: evil}), f"{name}: document type declarations")


def test_packages_over_the_size_limit_are_refused(package, monkeypatch):
    monkeypatch.setattr(qti.importer, "MAX_UNCOMPRESSED", 10_000)  # the limit lives with the zip reading
    refused(package, "package:", "more than the limit of 10000 bytes")


def test_one_bad_item_refuses_the_whole_package(items, package):
    last = item_file(items[-1])
    change = {last: lambda b: b.replace(b"qti-upload-interaction", b"qti-order-interaction")}
    refused(rezip(package, change=change), last, "qti-order-interaction")


# -------------------------------------------------------------------- refused export

def test_export_refuses_what_it_cannot_write(items):
    with pytest.raises(QTIExportError, match="the bytes have sha256"):
        export_package(items, {**ASSETS, sha(PICTURE): ("image/png", PICTURE + b"!")})
    missing = {k: v for k, v in ASSETS.items() if k != sha(DICTATION_AUDIO)}
    with pytest.raises(QTIExportError, match="li-a2-sanelu-kauppa v1: asset audio"):
        export_package(items, missing)
    cloze = next(i for i in items if i.kind == "cloze")
    wrong_key = Item(**{**cloze.__dict__, "key": "Espoo"})
    with pytest.raises(QTIExportError, match="key 'Espoo' does not follow from the content"):
        export_package([wrong_key], {})
    other_text = Item(**{**items[1].__dict__, "stimulus": {"text": "Toinen teksti, joka on eri."}})
    with pytest.raises(QTIExportError, match="testlet rd-b1-myyja: its stimulus differs"):
        export_package([items[0], other_text], {})
    control = Item(**{**items[4].__dict__, "content": {**items[4].content, "prompt": "a\x07b"}})
    with pytest.raises(ValueError, match="content.prompt: has a control character"):
        export_package([control], {})
    with pytest.raises(QTIExportError, match="same id and version twice"):
        export_package([items[5], items[5]], {})
