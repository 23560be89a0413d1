"""Names every service shows for the suite's shared values: skills, levels, speaking tasks.

English source strings; the catalogues translate them (into the learner's language too, as
they appear on the job seeker's pages). Kept here so that no service imports another's
texts for them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

SKILL_NAMES = {
    "reading": _l("Reading"),
    "listening": _l("Listening"),
    "vocabulary": _l("Vocabulary"),
    "structure": _l("Grammar and structure"),
    "writing": _l("Writing"),
    "speaking": _l("Speaking"),
}

LEVEL_SUMMARY = {
    "A1": _l("Beginner: you can understand and use familiar everyday expressions and very basic phrases."),
    "A2": _l("Elementary: you can manage in simple, routine situations on familiar topics."),
    "B1": _l("Intermediate: you can handle most everyday situations at work and in services."),
    "B2": _l("Upper intermediate: you can work in Finnish on many tasks and follow detailed texts."),
    "C1": _l("Advanced: you can use Finnish flexibly and effectively in work and studies."),
    "C2": _l("Proficient: you understand virtually everything and express yourself precisely."),
}

# the optional speaking part and its scores on the result page
SPEAKING_TASK_NAMES = {
    "read_aloud": _l("Reading aloud"),
    "open_speaking": _l("Speaking about a topic"),
}
