"""The authoring service as its own Flask app: ``gunicorn 'services.authoring.app:create_app()'``.

Staff (authors and reviewers) manage the items of the bank here. Mounted by the gateway
under ``/authoring``; every link is made with ``url_for``, so it works under any prefix.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, g, request, session
from jinja2 import ChoiceLoader, FileSystemLoader

from item_bank.cut_scores import CutScoreCache
from services.common.accounts import SignInThrottle
from services.common.app_support import RestApi, base_app
from services.common.config import Config
from services.common.i18n import LANGUAGES

from . import api, auth, pages, standard_setting_api, standard_setting_pages, validity_pages
from . import password_reset  # noqa: F401  (its pages join pages.bp)
from .handlers import AuthoringService
from .ports import item_exposure_for, recent_results_for
from .standard_setting import StandardSettingService

TESTING_TEMPLATES = Path(__file__).resolve().parents[1] / "testing" / "templates"
TESTING_STATIC = TESTING_TEMPLATES.parent / "static"


def create_app(config: Config | None = None, make_audio=None):
    app, res = base_app(__name__, config)
    auth.init_staff_login(app)   # Flask-Login: who is signed in (staff)
    app.config.update(
        API_TITLE="Taitotaso authoring API", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1", OPENAPI_JSON_PATH="openapi.json",
        # its own cookie: mounted beside the testing service, the two never overwrite
        # each other's session
        SESSION_COOKIE_NAME=auth.STAFF_COOKIE,
        PERMANENT_SESSION_LIFETIME=auth.STAFF_SESSION_LIFETIME,
        TAITOTASO_MIN_ITEMS=res.config.min_items, TAITOTASO_MAX_ITEMS=res.config.max_items,
        MAX_CONTENT_LENGTH=200 * 1024 * 1024,  # QTI packages with recordings
    )
    # the testing service's figures: over HTTP where TAITOTASO_TESTING_URL is set, else in
    # this process (services/authoring/ports.py)
    app.extensions["taitotaso.authoring"] = AuthoringService(
        res.db, res.config, make_audio=make_audio,
        exposure=item_exposure_for(res.config, res.db))
    app.extensions["taitotaso.authoring.throttle"] = SignInThrottle(scope="staff-signin")
    app.extensions["taitotaso.standard_setting"] = StandardSettingService(
        res.db, recent_results_for(res.config, res.db),
        CutScoreCache(res.db, res.config.bank_check_seconds))
    # the preview shows an item with the testing service's own template (item.html)
    app.jinja_loader = ChoiceLoader([FileSystemLoader(str(Path(app.root_path) / "templates")),
                                     FileSystemLoader(str(TESTING_TEMPLATES))])
    from services.common.item_view import highlight, paragraphs

    app.jinja_env.filters["highlight"] = highlight
    app.jinja_env.filters["paragraphs"] = paragraphs

    @app.before_request
    def _no_nul():
        # PostgreSQL cannot compare text with NUL characters: such a request finds nothing
        if "\x00" in request.path:
            abort(404)

    @app.before_request
    def _language():
        lang = session.get("lang")
        if lang not in LANGUAGES:
            lang = request.accept_languages.best_match(LANGUAGES) or \
                ("en" if auth.is_api() else "fi")
        g.lang = lang

    app.before_request(auth.require_staff)

    @app.after_request
    def _no_store(response):
        # staff pages show answer keys: keep them out of shared caches
        if "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    rest = RestApi(app)
    rest.register_blueprint(api.blp)
    rest.register_blueprint(standard_setting_api.blp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(standard_setting_pages.bp)
    app.register_blueprint(validity_pages.bp)
    # the job seeker's stylesheet, so that staff pages and previews look the same
    app.register_blueprint(Blueprint("testing_look", __name__, static_folder=str(TESTING_STATIC),
                                     static_url_path="/static/testing"))
    return app
