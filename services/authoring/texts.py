"""Names shown to staff for the values of item fields, and YAML templates of each kind.

English source strings; Finnish and Swedish come from the catalogues. The YAML templates
are item content (Finnish), not interface text.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from services.common.staff_names import ROLE_NAMES  # noqa: F401 - re-exported for the pages

KIND_NAMES = {
    "multiple_choice": _l("Multiple choice"),
    "yes_no": _l("Real word or not"),
    "cloze": _l("Gap filling"),
    "dictation": _l("Dictation"),
    "c_test": _l("C-test"),
    "sentence_building": _l("Sentence building"),
    "writing_task": _l("Writing task"),
    "read_aloud": _l("Reading aloud"),
    "speaking_prompt": _l("Speaking task"),
}

STATUS_NAMES = {
    "draft": _l("Draft"),
    "reviewed": _l("Reviewed"),
    "live": _l("Live"),
    "retired": _l("Retired"),
}

# the button that moves an item to each status
ACTION_NAMES = {
    "reviewed": _l("Mark as reviewed"),
    "live": _l("Make live"),
    "retired": _l("Retire"),
    "draft": _l("Send back to draft"),
}

TOPIC_NAMES = {
    "job_ads": _l("Job ads"),
    "workplace": _l("Workplace"),
    "shifts": _l("Shifts"),
    "city_services": _l("City services"),
    "housing": _l("Housing"),
    "health": _l("Health"),
    "school": _l("School"),
    "employment_office": _l("Employment office"),
    "shopping": _l("Shopping"),
    "transport": _l("Transport"),
    "daily_life": _l("Daily life"),
    "general": _l("General"),
}

STUDY_STATUS_NAMES = {"open": _l("Round open"), "closed": _l("Round closed"),
                      "published": _l("Published")}

EVENT_NAMES = {
    "created": _l("created"),
    "edited": _l("edited"),
    "new_version": _l("new version"),
    "status": _l("status changed"),
    "imported": _l("imported from a QTI package"),
}

# What the new-item form starts with for each kind (the fields below id, kind, skill,
# cefr and topic). Comments say what each field holds; see item_bank/content/README.md.
YAML_TEMPLATES = {
    "multiple_choice": """\
# context: optional sentence shown above the question; **word** is highlighted
prompt: Mitä sana "kuitti" tarkoittaa?
choices:
  a: ostotosite
  b: alennus
  c: pakkaus
  d: takuu
key: a
# A question about a text (a testlet) also has:
# testlet: rd-a2-esimerkki
# position: 0
# stimulus:
#   title: Otsikko
#   text: |
#     Teksti, jonka työnhakija lukee.
""",
    "yes_no": """\
word: talo
key: "yes"   # "yes": a real Finnish word, "no": a pseudoword
""",
    "cloze": """\
text: Asun ___ kaksi vuotta.   # exactly one gap, written ___
hint: Espoo                    # the basic form, shown in brackets (optional)
accept:                        # the first is the key; other accepted forms follow
  - Espoossa
focus: inessive                # the grammar point (optional)
""",
    "dictation": """\
audio_text: Kauppa on auki kello yhdeksään asti.   # one sentence, heard and written down
""",
    "c_test": """\
# The first sentence stays whole; the C-test rule makes 8-25 gaps after it.
text: >
  Espoon kirjasto on avoinna joka päivä. Kirjastosta voi lainata kirjoja, lehtiä ja
  elokuvia. Lainaaminen on ilmaista, mutta tarvitset kirjastokortin. Kortin saat
  kirjaston palvelupisteestä, kun näytät henkilöllisyystodistuksen.
""",
    "sentence_building": """\
words: [maitoa, huomenna, kaupasta, ostan]   # shuffled: exactly the words of the answer
accept:
  - Huomenna ostan maitoa kaupasta.
  - Ostan huomenna maitoa kaupasta.
""",
    "writing_task": """\
task_type: message   # message | description | narrative | opinion | application | instruction
prompt: Olet sairas etkä pääse huomenna töihin. Kirjoita viesti esihenkilöllesi.
min_words: 30
max_words: 60
""",
    "read_aloud": """\
text: Kirjasto on auki maanantaista perjantaihin kello yhdeksästä kahdeksaan.
""",
    "speaking_prompt": """\
task_type: describe   # describe | tell | opinion
prompt: Kerro, millainen on sinun unelmatyöpaikkasi. Miksi?
prep_seconds: 30
max_seconds: 90
""",
}
