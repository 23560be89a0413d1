"""Every interface string is translated into Finnish and Swedish, placeholders intact."""
import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2] / "services" / "translations"
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)s|%%")


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
            "Katso", "PDF", "JPEG", "PNG", "WebP", "YouTube",  # the library's name, file formats
            # statistics and commands quoted on the staff pages, a file name and a code's shape
            "SEM", "IQR", "logitia", "kt", "JSON-muodossa", "validity", "report", "--json", "calibrate",
            "taitotaso-credential.jwt", "ABCD-EFGH"}
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


# -- learner languages: every string the job seeker sees ------------------------------------
LANGUAGE_ROWS = json.loads((ROOT / "languages.json").read_text(encoding="utf-8"))["languages"]
LEARNER_ONLY = [r["code"] for r in LANGUAGE_ROWS if not r["staff"]]
# The job seeker's strings are the msgids with a source location in the job seeker's pages and
# modules: the testing service (start page, items, practice, result, speaking), the feedback of
# the scoring service, the shared templates used on those pages, and the account pages
# (sign-up, sign-in, password, My results, sharing, the account and their messages). Staff,
# coach, employer and Katso pages (authoring, library, the coach and link pages) come in
# fi/sv/en only.
ACCOUNT_SOURCES = tuple(f"services/results/templates/{name}.html" for name in (
    "_field_error", "_test_box", "account", "account_delete", "base", "seeker_home",
    "seeker_results", "share_created", "share_form", "shares", "sign_in", "sign_up",
    "sign_up_confirm", "sign_up_sent")) + tuple(f"services/results/{name}.py" for name in (
    "pages", "seeker_pages", "seekers", "sharing", "sign_up_mail", "texts", "password_reset"))
JOB_SEEKER_SOURCES = ("services/testing/", "services/common/feedback.py",
                      "services/common/templates/", "services/common/names.py") + ACCOUNT_SOURCES


def job_seeker_ids() -> set[str]:
    with open(ROOT / "messages.pot", "rb") as fh:
        return {m.id for m in read_po(fh) if m.id and any(
            path.startswith(JOB_SEEKER_SOURCES) for path, _ in m.locations)}


def test_every_listed_language_has_a_catalogue_and_every_catalogue_is_listed():
    listed = {r["code"] for r in LANGUAGE_ROWS}
    on_disk = {p.parent.parent.name for p in ROOT.glob("*/LC_MESSAGES/messages.po")}
    assert listed == on_disk
    assert set(LEARNER_ONLY) >= {"ru", "uk", "et", "ar", "so", "fa"}


def test_the_job_seeker_strings_are_the_test_pages_and_the_feedback():
    ids = job_seeker_ids()
    assert {"Start the test", "Your result", "Levels by skill", "Write the word in the gap in the right form.",
            "The answer is empty: write your text and send it again."} <= ids
    assert {"Sign in", "Share a result", "My results", "Create an account"} <= ids  # account pages
    assert "Your clients" not in ids and "Back to the item list" not in ids  # coach and staff pages


@pytest.mark.parametrize("lang", LEARNER_ONLY)
def test_every_job_seeker_string_is_translated_with_placeholders_intact(lang):
    cat = catalogue(lang)
    missing, broken, untouched = [], [], []
    for mid in sorted(job_seeker_ids()):
        msg = cat.get(mid)
        if msg is None or not msg.string or "fuzzy" in msg.flags:
            missing.append(mid)
            continue
        if sorted(PLACEHOLDER.findall(mid)) != sorted(PLACEHOLDER.findall(msg.string)):
            broken.append(mid)
        if msg.string == mid and " " in mid:
            untouched.append(mid)  # English copied over
    assert not missing, f"untranslated job-seeker strings in {lang}: {missing}"
    assert not broken, f"placeholders changed in {lang}: {broken}"
    assert not untouched, f"left in English in {lang}: {untouched}"


@pytest.mark.parametrize("lang", LEARNER_ONLY)
def test_a_learner_catalogue_keeps_placeholders_wherever_it_translates(lang):
    for msg in catalogue(lang):
        for form in forms(msg.string) if msg.id else []:
            if form:  # an empty form is untranslated: gettext shows the English
                assert sorted(PLACEHOLDER.findall(form)) == sorted(PLACEHOLDER.findall(forms(msg.id)[-1])), msg.id
