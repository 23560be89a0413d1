"""Every interface string is translated into Finnish and Swedish, placeholders intact."""
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2] / "services" / "translations"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|%%")


def catalogue(lang):
    with open(ROOT / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=lang)


def forms(value) -> list[str]:
    """A message's id or string as a list (plural entries have several forms)."""
    if not value:
        return []
    return [value] if isinstance(value, str) else list(value)


def template_ids():
    with open(ROOT / "messages.pot", "rb") as fh:
        return {m.id for m in read_po(fh) if m.id}


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_catalogue_is_complete_and_keeps_placeholders(lang):
    cat = catalogue(lang)
    missing = [mid for mid in template_ids()
               if not (cat.get(mid) and all(forms(cat.get(mid).string)) and forms(cat.get(mid).string))]
    assert not missing, f"untranslated in {lang}: {missing}"
    for msg in cat:
        if msg.id and msg.string:
            expected = sorted(PLACEHOLDER.findall(forms(msg.id)[-1]))
            for form in forms(msg.string):
                assert sorted(PLACEHOLDER.findall(form)) == expected, msg.id
            assert "fuzzy" not in msg.flags, msg.id


def test_template_matches_the_sources():
    """`pybabel extract` has been run after the last change of an interface string."""
    import subprocess
    import sys
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pot") as out:
        subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                        "-k", "_l", "-o", out.name, "."], cwd=ROOT.parents[1], check=True,
                       capture_output=True)
        with open(out.name, "rb") as fh:
            fresh = {m.id for m in read_po(fh) if m.id}
    assert fresh == template_ids(), "run: pybabel extract -F babel.cfg -k _l -o services/translations/messages.pot ."


def test_finnish_interface_text_passes_voikko(voikko):
    skip = {"CEFR", "YKI", "Yle", "Selkouutiset", "Selkouutisia", "Taitotaso", "QTI", "IMS", "zip",
            "mä", "sä",  # spoken forms quoted in the writing feedback on purpose
            "Katso", "PDF", "JPEG", "PNG", "WebP", "YouTube"}  # the library's name, file formats
    bad = []
    for msg in catalogue("fi"):
        if not msg.id:
            continue  # the catalogue header
        text = PLACEHOLDER.sub(" ", " ".join(forms(msg.string)))
        for token in voikko.tokens(text):
            w = token.tokenText
            if token.tokenTypeName != "WORD" or re.fullmatch(r"[A-C][12]|[\d.]+|https?:?/*", w):
                continue
            # acronym compounds (YKI-testillä): check the Finnish part after the acronym
            head, _, tail = w.partition("-")
            if head in skip and tail:
                w = tail
            if w not in skip and not voikko.spell(w):
                bad.append(w)
    assert not bad, bad
