"""The Open Badges 3.0 credential of a result: the Taitotaso achievement with its result
descriptions, one ``Result`` per level, and the unsigned ``OpenBadgeCredential`` (see the
package docstring, "The credential")."""
from __future__ import annotations

from datetime import datetime
from typing import Mapping

from assessment.cefr import LEVELS
from assessment.reporting import level_range, range_text
from item_bank.model import SKILLS

from .dates import _iso, _parse_time, _utc
from .vocabulary import (ACHIEVEMENT_VERSION, ASSURANCE_NARRATIVES, ASSURANCE_TITLES, ASSURANCES,
                         CONTEXT_PATH, CONTEXTS, CREDENTIAL_TYPES, LEVEL_DESCRIPTIONS, SKILL_NAMES,
                         STATUS_TYPE)


def achievement_id(issuer_url: str) -> str:
    return f"{issuer_url.rstrip('/')}/achievements/finnish-language-cefr"


def _result_description(aid: str, key: str, name: str, *, described: bool) -> dict:
    """The six CEFR levels of one result; only the overall one spells out what each level
    means (the same words for every skill), which keeps the credential small."""
    levels = []
    for level in LEVELS:
        entry = {"id": f"{aid}#{key}-{level}", "type": ["RubricCriterionLevel"], "name": level}
        if described:
            entry["description"] = LEVEL_DESCRIPTIONS[level]
        levels.append(entry)
    return {"id": f"{aid}#{key}", "type": ["ResultDescription"], "name": name,
            "resultType": "RubricCriterionLevel", "rubricCriterionLevel": levels}


def achievement(issuer_url: str) -> dict:
    """The one Taitotaso achievement: the same in every credential."""
    aid = achievement_id(issuer_url)
    descriptions = [_result_description(aid, "overall", "Overall level (CEFR)", described=True)]
    descriptions += [_result_description(aid, skill, f"{SKILL_NAMES[skill]} (CEFR level)",
                                         described=False) for skill in SKILLS]
    return {
        "id": aid,
        "type": ["Achievement"],
        "achievementType": "Assessment",
        "name": "Finnish language proficiency (CEFR)",
        "description": ("The level of Finnish on the six-level scale of the Common European "
                        "Framework of Reference for Languages (A1-C2), overall and per skill, "
                        "measured by the Taitotaso adaptive test."),
        "criteria": {"narrative": (
            "The test taker completed the Taitotaso adaptive Finnish test. Each question is chosen "
            "to fit the answers so far, and the test ends when the level is known precisely "
            "enough or the question limit is reached. Each level is the CEFR level whose band contains "
            "the estimated ability; 'sem' is the standard error of that estimate and 'certainty' "
            "the probability that the level is right. The cut scores between levels are "
            "provisional until a standard-setting study.")},
        "alignment": [{
            "type": ["Alignment"],
            "targetName": "Common European Framework of Reference for Languages (CEFR)",
            "targetUrl": "https://www.coe.int/en/web/common-european-framework-reference-languages",
            "targetFramework": "CEFR",
        }],
        "fieldOfStudy": "Finnish language",
        "tag": ["Finnish", "suomi", "CEFR", "language proficiency"],
        "version": ACHIEVEMENT_VERSION,
        "resultDescription": descriptions,
    }


def _result_entry(aid: str, key: str, estimate: Mapping, assurance: str) -> dict:
    level = estimate.get("cefr") if isinstance(estimate, Mapping) else None
    if level not in LEVELS:
        raise ValueError(f"The {key} result has no CEFR level: got {level!r}.")
    sem = estimate.get("sem")
    if not isinstance(sem, (int, float)) or isinstance(sem, bool):
        raise ValueError(f"The {key} result has no standard error (sem): got {sem!r}.")
    entry = {
        "type": ["Result"],
        "resultDescription": f"{aid}#{key}",
        "achievedLevel": f"{aid}#{key}-{level}",
        "value": level,
        "sem": round(float(sem), 3),
    }
    if isinstance(estimate.get("certainty"), (int, float)):
        entry["certainty"] = round(float(estimate["certainty"]), 3)
    entry["atLeast"] = bool(estimate.get("at_least", False))
    rng = level_range(estimate)
    entry["levelRange"] = {"lowest": rng["low"], "highest": rng["high"],
                           "text": range_text(rng)}
    if rng["probability"] is not None:
        entry["levelRange"]["probability"] = rng["probability"]
    entry["assurance"] = assurance
    return entry


def _display_name(name: str | None) -> str | None:
    if name is None:
        return None
    name = " ".join(name.split())
    if not name:
        return None
    if len(name) > 100 or any(not ch.isprintable() for ch in name):
        raise ValueError("The display name must be at most 100 printable characters.")
    return name


def _require_uri(value: str, what: str) -> str:
    if not isinstance(value, str) or ":" not in value or any(ch.isspace() for ch in value):
        raise ValueError(f"{what} must be a URI (such as urn:uuid:… or https://…): got {value!r}.")
    return value


def _pseudonymous(value: str, what: str) -> str:
    _require_uri(value, what)
    if "@" in value or value.lower().startswith(("mailto:", "tel:")):
        raise ValueError(f"{what} must be a pseudonymous URI (such as urn:uuid:…), not an "
                         "address that names the person.")
    return value


def achievement_credential(result: Mapping, *, credential_id: str, issuer_url: str,
                           issuer_name: str, subject_name: str | None, issued: datetime,
                           expires: datetime | None, status_url: str,
                           subject_id: str | None = None) -> dict:
    """The OB 3.0 credential of a finished test's result, unsigned.

    ``result`` is what the testing service keeps for a finished test: ``overall`` and
    ``skills`` (each with ``cefr``, ``sem`` and optionally ``certainty`` and ``at_least``),
    ``finished_at``, ``bank_version``, ``cut_scores_version``, ``n_items`` and ``assurance``
    ("unsupervised" unless given). Nothing else from it goes into the credential.
    ``subject_id`` (a pseudonymous URI) may be left to ``sign_credential``.
    """
    _require_uri(credential_id, "credential_id")
    _require_uri(issuer_url, "issuer_url")
    _require_uri(status_url, "status_url")
    issuer_url = issuer_url.rstrip("/")
    assurance = result.get("assurance") or "unsupervised"
    if assurance not in ASSURANCES:
        raise ValueError(f"assurance must be one of {', '.join(ASSURANCES)}: got {assurance!r}.")
    if "overall" not in result:
        raise ValueError("Only a finished test's result can be issued: it has no overall level.")
    aid = achievement_id(issuer_url)
    skills = result.get("skills") or {}
    unknown = sorted(set(skills) - set(SKILLS))
    if unknown:
        raise ValueError(f"Unknown skills in the result: {', '.join(unknown)}.")
    results = [_result_entry(aid, "overall", result["overall"], assurance)]
    results += [_result_entry(aid, skill, skills[skill], assurance)
                for skill in SKILLS if skill in skills]
    overall = result["overall"]["cefr"]
    issued = _utc(issued)
    if expires is not None and _utc(expires) <= issued:
        raise ValueError("A credential must expire after it is issued.")

    subject: dict = {}
    if subject_id is not None:
        subject["id"] = _pseudonymous(subject_id, "subject_id")
    subject["type"] = ["AchievementSubject"]
    name = _display_name(subject_name)
    if name:
        subject["identifier"] = [{"type": "IdentityObject", "identityType": "name",
                                  "hashed": False, "identityHash": name}]
    if result.get("finished_at"):
        subject["activityEndDate"] = _iso(_parse_time(result["finished_at"]))
    subject["achievement"] = achievement(issuer_url)
    subject["result"] = results

    evidence = {
        "type": ["Evidence"],
        "name": "How the test was taken",
        "narrative": ASSURANCE_NARRATIVES[assurance],
        "genre": "Assessment conditions",
        "assurance": assurance,
    }
    for source, target in (("bank_version", "itemBankVersion"),
                           ("cut_scores_version", "cutScoresVersion"),
                           ("n_items", "itemsAnswered")):
        if result.get(source) is not None:
            evidence[target] = result[source]

    shown = range_text(level_range(result["overall"]))
    kind = ASSURANCE_TITLES[assurance]
    credential = {
        "@context": [*CONTEXTS, issuer_url + CONTEXT_PATH],
        "id": credential_id,
        "type": list(CREDENTIAL_TYPES),
        "name": f"Finnish language {kind}: level {shown} (CEFR)",
        "description": (f"Taitotaso adaptive Finnish test, {kind}: overall level {shown} on the "
                        "CEFR scale, with the level of each skill tested. Where the test could "
                        "not tell two or more adjacent levels apart, the level is a range (such "
                        "as B1–B2) that holds the level with a probability of at least 80 %."),
        "issuer": {"id": issuer_url, "type": ["Profile"], "name": issuer_name, "url": issuer_url},
        "validFrom": _iso(issued),
    }
    if expires is not None:
        credential["validUntil"] = _iso(expires)
    credential["credentialSubject"] = subject
    credential["evidence"] = [evidence]
    credential["credentialStatus"] = {"id": status_url, "type": STATUS_TYPE}
    return credential
