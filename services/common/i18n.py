"""Interface languages through gettext catalogues (flask-babel).

The languages are data (``services/translations/languages.json``): each has a code (its
catalogue's directory), its own name in its own script, a text direction and whether staff,
coach and employer pages exist in it. The job seeker's pages (the testing service) come in
every listed language (``LEARNER_LANGUAGES``); the other pages only in ``LANGUAGES``
(fi, sv, en), and a learner language falls back there to its ``fallback`` (English).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, g, redirect, request, url_for
from flask_babel import Babel

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
LANGUAGES_FILE = TRANSLATIONS / "languages.json"


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself, in its own script
    dir: str  # "ltr" or "rtl"
    staff: bool
    fallback: str | None = None


def load_languages(path: Path = LANGUAGES_FILE) -> tuple[Language, ...]:
    with open(path, encoding="utf-8") as fh:
        rows = json.load(fh)["languages"]
    langs = tuple(Language(code=r["code"], name=r["name"], dir=r["dir"], staff=bool(r["staff"]),
                           fallback=r.get("fallback")) for r in rows)
    for lang in langs:
        if lang.dir not in ("ltr", "rtl"):
            raise ValueError(f"{path}: {lang.code}: dir must be ltr or rtl, not {lang.dir!r}")
        if not lang.staff and lang.fallback not in {x.code for x in langs if x.staff}:
            raise ValueError(f"{path}: {lang.code}: fallback must be a staff language")
    return langs


ALL_LANGUAGES = load_languages()
BY_CODE = {lang.code: lang for lang in ALL_LANGUAGES}
LEARNER_LANGUAGES = tuple(lang.code for lang in ALL_LANGUAGES)
LANGUAGES = tuple(lang.code for lang in ALL_LANGUAGES if lang.staff)  # staff, coach, employer
LANGUAGE_NAMES = {lang.code: lang.name for lang in ALL_LANGUAGES}
LANGUAGE_DIRS = {lang.code: lang.dir for lang in ALL_LANGUAGES}


def staff_language(code: str | None) -> str | None:
    """The staff language for ``code``: itself, a learner language's fallback, else None."""
    lang = BY_CODE.get(code or "")
    if lang is None:
        return None
    return lang.code if lang.staff else lang.fallback


def text_direction(code: str | None = None) -> str:
    lang = BY_CODE.get(code or getattr(g, "lang", None) or "")
    return lang.dir if lang else "ltr"


def select_locale() -> str:
    lang = getattr(g, "lang", None)
    if lang in LEARNER_LANGUAGES:
        return lang
    return request.accept_languages.best_match(LANGUAGES) or "fi"


def init_i18n(app: Flask) -> Babel:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    babel = Babel(app, locale_selector=select_locale,
                  default_translation_directories=str(TRANSLATIONS))
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["LEARNER_LANGUAGES"] = LEARNER_LANGUAGES
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["LANGUAGE_DIRS"] = LANGUAGE_DIRS
    app.jinja_env.globals["text_direction"] = text_direction
    return babel


def language_in_path(bp: Blueprint, languages: tuple[str, ...] = LANGUAGES) -> None:
    """Pages under ``/<lang>/``: the language leaves the URL values for ``g.lang`` (an
    unknown one answers 404), and links made on such a page keep it.

    A learner language on a blueprint that does not offer it (staff, coach and employer
    pages offer fi, sv, en) falls back to its staff language: a GET is redirected to the same
    page in that language, other methods are served in it."""

    @bp.url_value_preprocessor
    def _lang(endpoint, values):
        if values and "lang" in values:
            lang = values.pop("lang")
            if lang not in languages:
                fallback = staff_language(lang)
                if fallback is None or fallback not in languages:
                    abort(404)
                if request.method in ("GET", "HEAD") and endpoint:
                    query = request.query_string.decode("latin-1")
                    target = url_for(endpoint, **values, lang=fallback)
                    abort(redirect(target + (f"?{query}" if query else "")))
                lang = fallback
            g.lang = lang

    @bp.url_defaults
    def _keep_lang(endpoint, values):
        if "lang" not in values and getattr(g, "lang", None) and \
                current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
            values["lang"] = g.lang
