"""The testing service as its own Flask app: ``gunicorn 'services.testing.app:create_app()'``."""
from __future__ import annotations

from services.common.app_support import RestApi
from markupsafe import Markup, escape

from services.common.app_support import base_app
from services.common.config import Config
from services.common.exposure import MemoryExposure, RedisExposure
from services.common.rate_limit import Limit

from . import api, pages
from .handlers import TestingService


def create_app(config: Config | None = None, scorer=None, speech=None):
    """``scorer``: how written answers reach the scoring service, ``speech``: how spoken ones
    do (services/testing/ports.py); None: as the configuration says
    (``TAITOTASO_SCORING_URL``, else in this process)."""
    app, res = base_app(__name__, config)
    app.config.update(
        API_TITLE="Taitotaso testing API", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1", OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={"components": {"securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer"}}}},
        MAX_CONTENT_LENGTH=11 * 1024 * 1024,  # spoken answers up to 10 MB, refused with a message
    )
    exposure = RedisExposure(res.redis) if res.redis is not None else MemoryExposure()
    app.extensions["taitotaso.testing"] = TestingService(res.db, res.config, exposure, res.queue,
                                                         scorer=scorer, speech=speech)
    # a whole classroom may start from one address at once: the limit stops floods, not groups
    app.extensions["taitotaso.session_starts"] = Limit(
        "session-starts", res.config.session_starts_per_minute, 60)
    rest = RestApi(app)
    rest.register_blueprint(api.blp)
    rest.register_blueprint(api.assets_blp)
    app.register_blueprint(pages.bp)
    app.jinja_env.filters["highlight"] = highlight
    app.jinja_env.filters["paragraphs"] = paragraphs
    app.jinja_env.filters["prompt_lines"] = prompt_lines
    return app


# The length a writing prompt states in Finnish; the page says it in the learner's language
LENGTH_LINE = "Kirjoita {min}–{max} sanaa."


def prompt_lines(prompt: str, min_words: int | None = None, max_words: int | None = None
                 ) -> list[list[str]]:
    """A writing prompt as paragraphs of lines, every line break kept (a prompt's lines are a
    list of what to write); the prompt's own line stating the length the page states already
    (``Kirjoita 15–30 sanaa.``) is left out, so the length appears once."""
    length = LENGTH_LINE.format(min=min_words, max=max_words).replace("–", "-")
    out, lines = [], []
    for ln in str(prompt).strip().splitlines():
        ln = ln.strip()
        if not ln:
            if lines:
                out.append(lines)
            lines = []
        elif ln.replace("–", "-") != length:
            lines.append(ln)
    if lines:
        out.append(lines)
    return out


def paragraphs(text: str) -> list[list[str]]:
    """Paragraphs of a stimulus text as lists of lines: lines of a notice or a list keep
    their breaks; prose wrapped in the content file flows as one line."""
    out = []
    for block in str(text).strip().split("\n\n"):
        lines: list[str] = []
        joining = False
        for ln in (ln.strip() for ln in block.splitlines()):
            if not ln:
                continue
            if joining:
                lines[-1] += " " + ln
            else:
                lines.append(ln)
            joining = len(ln) >= 45  # a long line was wrapped: the next one continues it
        out.append(lines)
    return out


def highlight(text: str) -> Markup:
    """``**word**`` in item content becomes <strong>word</strong>; everything else is escaped."""
    parts = str(escape(text)).split("**")
    return Markup("".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts)))
