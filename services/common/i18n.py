"""Interface languages through gettext catalogues (flask-babel): fi, sv, en."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, g, request
from flask_babel import Babel

LANGUAGES = ("fi", "sv", "en")
LANGUAGE_NAMES = {"fi": "suomi", "sv": "svenska", "en": "English"}
TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"


def select_locale() -> str:
    lang = getattr(g, "lang", None)
    if lang in LANGUAGES:
        return lang
    return request.accept_languages.best_match(LANGUAGES) or "fi"


def init_i18n(app: Flask) -> Babel:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    babel = Babel(app, locale_selector=select_locale,
                  default_translation_directories=str(TRANSLATIONS))
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    return babel


def language_in_path(bp: Blueprint) -> None:
    """Pages under ``/<lang>/``: the language leaves the URL values for ``g.lang`` (an
    unknown one answers 404), and links made on such a page keep it."""

    @bp.url_value_preprocessor
    def _lang(endpoint, values):
        if values and "lang" in values:
            lang = values.pop("lang")
            if lang not in LANGUAGES:
                abort(404)
            g.lang = lang

    @bp.url_defaults
    def _keep_lang(endpoint, values):
        if "lang" not in values and getattr(g, "lang", None) and \
                current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
            values["lang"] = g.lang
