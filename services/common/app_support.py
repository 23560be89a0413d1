"""Wiring every service's app shares: config, database, Redis, queue, errors, i18n."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, request
from flask_smorest import Api

from .config import Config
from .db import Database
from .errors import register_error_handlers
from .i18n import init_i18n
from .observability import init_observability
from .queue import JobContext, make_queue
from .rate_limit import init_rate_limits
from .redis_client import make_redis
from .request_parsing import init_request_parsing
from .sessions import init_server_sessions


class RestApi(Api):
    """flask-smorest's Api, leaving errors to the suite's one handler
    (``services.common.errors``) so that every error has the same shape and a message."""

    def _register_error_handlers(self):
        return None


class Resources:
    """Adapters made once per app (never at import time)."""

    def __init__(self, config: Config):
        self.config = config
        self.db = Database(config.database_url)
        self.redis = make_redis(config.redis_url)
        self.queue = make_queue(self.redis, JobContext(db=self.db, config=config))


def base_app(name: str, config: Config | None, **flask_kwargs) -> tuple[Flask, Resources]:
    config = config or Config.from_env()
    app = Flask(name, **flask_kwargs)
    app.config.update(SECRET_KEY=config.secret_key, TESTING=config.testing,
                      SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      # Flask's default is 31 days; a session also ends at sign-out (server-side)
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=config.session_hours),
                      SESSION_COOKIE_SECURE=bool(config.secure_cookies),
                      MAX_CONTENT_LENGTH=1 * 1024 * 1024)
    if config.trusted_proxies:   # behind nginx / the Ingress: the client's address and scheme
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = config.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    resources = Resources(config)
    app.extensions["taitotaso.resources"] = resources
    init_server_sessions(app, resources)
    init_rate_limits(app, resources)
    init_observability(app, resources)
    register_error_handlers(app)
    init_request_parsing(app)   # deep JSON and lone surrogates: a 400, never a 500
    init_i18n(app)
    # templates every service may include (e.g. _levels_chart.html)
    app.register_blueprint(Blueprint("shared_templates", __name__, template_folder="templates"))
    _csrf(app)
    _security_headers(app)
    return app, resources


# pages load scripts, styles and pictures from their own origin only; recordings play from
# blob: URLs; nothing may frame the suite
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
                           "object-src 'none'; base-uri 'none'; form-action 'self'; "
                           "frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",            # share links must not leak to other sites
    "Permissions-Policy": "microphone=(self), camera=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _security_headers(app: Flask) -> None:
    """Every answer carries them; an answer that sets its own (e.g. the sandboxed policy of
    an SVG picture) keeps its own."""

    @app.after_request
    def _headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def _csrf(app: Flask) -> None:
    """Forms carry a per-session token (Flask-WTF's CSRFProtect, in the field ``_csrf``);
    the JSON API under /api/ uses bearer tokens and the staff session's SameSite cookie
    instead. Tokens last as long as the session; no Referer check over HTTPS, since the
    suite's pages send no Referer (Referrer-Policy: no-referrer)."""
    from flask_wtf.csrf import CSRFError, CSRFProtect

    from .errors import error_response

    app.config.update(WTF_CSRF_FIELD_NAME="_csrf", WTF_CSRF_CHECK_DEFAULT=False,
                      WTF_CSRF_TIME_LIMIT=None, WTF_CSRF_SSL_STRICT=False)
    csrf = CSRFProtect(app)

    @app.before_request
    def _check():
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and not request.path.startswith("/api/"):
            csrf.protect()

    @app.errorhandler(CSRFError)
    def _expired(_err):
        return error_response(400, "The form has expired. Go back, reload the page and try again.")
