"""Katso's public pages: browse by category and by worldview, search, a card with its
questions, the instructions and examples of use, printing and the accessibility statement.

Inside the library app the pages are ``/<lang>/...``; the gateway mounts the app at
``/katso``. No one signs in here and nothing personal is kept: usage is counted per
material and day only (:meth:`LibraryStore.count`).
"""
from __future__ import annotations

import re
import threading
from urllib.parse import urlencode

from flask import (Blueprint, Response, current_app, flash, g, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _

from services.common.errors import APIError
from services.common.i18n import LANGUAGES, language_in_path
from services.common.rate_limit import Limit, enforce

from . import printing
from .content import pictogram_path
from .repository import LibraryStore, NotFound, text
from .search import SearchIndex

bp = Blueprint("katso", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/katso")

EXTENSION = "taitotaso.library"
MAX_QUERY = 200
MAX_FEEDBACK = 4000
PRINTS_PER_MINUTE = 30      # a PDF takes a second of CPU: per client address
FEEDBACK_PER_HOUR = 10
MEDIA_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
CARD_SLUG = re.compile(r"^[a-z0-9-]{1,64}$")


class LibraryContext:
    """What the library's pages share per app: the store, the search index (rebuilt when
    the material changes) and the rate limits of printing and of the feedback form."""

    def __init__(self, app):
        res = app.extensions["taitotaso.resources"]
        self.store = LibraryStore(res.db)
        self.prints = Limit("katso-prints", PRINTS_PER_MINUTE, 60)
        self.feedback = Limit("katso-feedback", FEEDBACK_PER_HOUR, 3600)
        self._index: tuple[tuple, SearchIndex] | None = None
        self._lock = threading.Lock()

    def index(self) -> SearchIndex:
        version = self.store.version()
        with self._lock:
            if self._index is None or self._index[0] != version:
                normaliser = self._index[1].normaliser if self._index else None
                self._index = (version, SearchIndex(self.store.documents(), normaliser))
            return self._index[1]


def context() -> LibraryContext:
    return current_app.extensions[EXTENSION]


def store() -> LibraryStore:
    return context().store


@bp.record_once
def _setup(state):
    app = state.app
    app.extensions[EXTENSION] = LibraryContext(app)
    app.jinja_env.filters["t"] = lambda texts: text(texts, getattr(g, "lang", None) or "fi")
    app.jinja_env.filters["paragraphs"] = paragraphs


def paragraphs(body: str) -> list[dict]:
    """Plain text to blocks: paragraphs split by blank lines, ``- `` lines as a list."""
    blocks = []
    for chunk in re.split(r"\n\s*\n", (body or "").strip()):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        if lines and all(line.startswith("- ") for line in lines):
            blocks.append({"list": [line[2:].strip() for line in lines]})
        elif lines:
            blocks.append({"text": " ".join(lines)})
    return blocks


language_in_path(bp)


@bp.before_request
def _no_nul():
    # PostgreSQL cannot compare text with NUL characters: such a request finds nothing
    if "\x00" in request.full_path:
        raise APIError(404, _("There is no such page."))


@bp.app_context_processor
def _globals():
    if not getattr(g, "lang", None):   # error pages outside a language's pages
        g.lang = request.accept_languages.best_match(LANGUAGES) or "fi"

    def lang_url(code: str) -> str:
        if request.endpoint and request.view_args is not None and \
                current_app.url_map.is_endpoint_expecting(request.endpoint, "lang") and \
                request.method == "GET":
            args = {k: v for k, v in request.args.items() if k != "lang"}
            return url_for(request.endpoint, **{**request.view_args, "lang": code}, **args)
        return url_for("katso.home", lang=code)

    return {"lang_url": lang_url, "image_url": image_url_of}


def image_url_of(card) -> str | None:
    """The card's photo if it has one, else the project's drawing."""
    if card.image_sha256:
        return url_for("katso.image", sha256=card.image_sha256)
    if card.pictogram:
        return url_for("katso.pictogram", name=card.pictogram)
    return None


def _count(material: str, event: str) -> None:
    try:
        store().count(material, event)
    except Exception:  # counting must never cost a visitor their page
        current_app.logger.exception("usage count of %s %s failed", event, material)


def _not_found():
    raise APIError(404, _("There is no such material, or it is not published."))


# -- browsing ------------------------------------------------------------------------------
@bp.get("/")
def root():
    best = request.accept_languages.best_match(LANGUAGES) or "fi"
    return redirect(url_for("katso.home", lang=best))


@bp.get("/<lang>/")
def home():
    s = store()
    categories = s.categories()
    # each category's tile shows four of its cards, so that no one picture (a cross, a
    # headscarf) stands for a whole category
    mosaics = {}
    for card in s.cards():
        mosaics.setdefault(card.category_slug, [])
        if len(mosaics[card.category_slug]) < 4 and image_url_of(card):
            mosaics[card.category_slug].append(card)
    return render_template("home.html", categories=categories, mosaics=mosaics,
                           worldviews=s.worldviews(), guides=s.pages("instructions"),
                           video_url=s.setting("video_url"))


@bp.get("/<lang>/categories/<slug>")
def category(slug):
    s = store()
    try:
        cat = s.category(slug)
    except NotFound:
        _not_found()
    _count(f"category:{slug}", "view")
    categories = s.categories()
    index = [c.slug for c in categories].index(slug)
    return render_template("category.html", category=cat, cards=s.cards(category=slug),
                           previous=categories[index - 1] if index > 0 else None,
                           next=categories[index + 1] if index + 1 < len(categories) else None)


@bp.get("/<lang>/cards/<slug>")
def card(slug):
    s = store()
    try:
        found = s.card(slug)
    except NotFound:
        _not_found()
    _count(f"card:{slug}", "view")
    siblings = s.cards(category=found.category_slug)
    index = [c.slug for c in siblings].index(slug)
    return render_template("card.html", card=found, category=s.category(found.category_slug),
                           worldviews=s.worldviews_of_card(slug),
                           previous=siblings[index - 1] if index > 0 else None,
                           next=siblings[index + 1] if index + 1 < len(siblings) else None)


@bp.get("/<lang>/cards/<slug>/download")
def download(slug):
    """The card's picture as a file to keep (counted as a download)."""
    s = store()
    try:
        found = s.card(slug)
    except NotFound:
        _not_found()
    if found.image_sha256:
        asset = s.image(found.image_sha256)
        if asset is None:
            _not_found()
        data, media_type = asset.data, asset.media_type
    else:
        path = pictogram_path(found.pictogram or "")
        if path is None:
            _not_found()
        data, media_type = path.read_bytes(), "image/svg+xml"
    _count(f"card:{slug}", "download")
    extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp",
                 "image/svg+xml": "svg"}[media_type]
    return Response(data, mimetype=media_type, headers={
        "Content-Disposition": f'attachment; filename="katso-{slug}.{extension}"',
        "Content-Security-Policy": MEDIA_CSP, "X-Content-Type-Options": "nosniff"})


@bp.get("/<lang>/worldviews/")
def worldviews():
    return render_template("worldviews.html", worldviews=store().worldviews())


@bp.get("/<lang>/worldviews/<slug>")
def worldview(slug):
    s = store()
    try:
        found = s.worldview(slug)
    except NotFound:
        _not_found()
    _count(f"worldview:{slug}", "view")
    return render_template("worldview.html", worldview=found, cards=s.cards(slugs=list(found.cards or [])))


@bp.get("/<lang>/guide/")
def guide():
    s = store()
    return render_template("guide.html", instructions=s.pages("instructions"),
                           examples=s.pages("example"), video_url=s.setting("video_url"))


@bp.get("/<lang>/guide/<slug>")
def guide_page(slug):
    s = store()
    try:
        page = s.page(slug)
    except NotFound:
        _not_found()
    if page.kind == "statement":
        return redirect(url_for("katso.accessibility"))
    _count(f"page:{slug}", "view")
    return render_template("page.html", page=page, cards=s.cards(slugs=list(page.cards or [])))


# -- search --------------------------------------------------------------------------------
@bp.get("/<lang>/search")
def search():
    query = (request.args.get("q") or "").strip()
    if len(query) > MAX_QUERY:
        raise APIError(400, _("The search is too long: use at most %(n)s characters.", n=MAX_QUERY))
    results = []
    if query:
        s = store()
        hits = context().index().search(query)
        cards = {c.slug: c for c in s.cards(slugs=[h.slug for h in hits if h.kind == "card"])}
        cats = {c.slug: c for c in s.categories()}
        wvs = {w.slug: w for w in s.worldviews()}
        pages = {p.slug: p for p in s.pages()}
        for hit in hits:
            item = {"card": cards, "category": cats, "worldview": wvs, "page": pages}[hit.kind].get(hit.slug)
            if item is not None:
                results.append((hit.kind, item))
    return render_template("search.html", query=query, results=results,
                           categories={c.slug: c for c in store().categories()})


# -- printing ------------------------------------------------------------------------------
@bp.get("/<lang>/print")
def print_page():
    s = store()
    cards = s.cards()
    by_category = {}
    for c in cards:
        by_category.setdefault(c.category_slug, []).append(c)
    return render_template("print.html", categories=s.categories(), by_category=by_category,
                           max_cards=printing.MAX_PRINT_CARDS)


def _limit_printing() -> None:
    enforce(context().prints, _("Many PDFs have been made for your network in the last minute. "
                                "Wait a moment and try again."))


def _pdf(html: str, filename: str) -> Response:
    s = store()

    def image_of(sha):
        asset = s.image(sha)
        return (asset.media_type, asset.data) if asset is not None else None

    data = printing.write_pdf(html, image_of)
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "no-store"})


def _card_sheets(cards, blank_category):
    items = [{"card": c} for c in cards] + [{"blank": True, "category": blank_category}]
    return printing.sheets(items)


@bp.get("/<lang>/print/category/<slug>.pdf")
def print_category(slug):
    s = store()
    try:
        cat = s.category(slug)
    except NotFound:
        _not_found()
    cards = s.cards(category=slug)
    _limit_printing()
    html = render_template("print_cards.html", title=text(cat.name, g.lang), category=cat,
                           sheets=_card_sheets(cards, cat), printing=printing)
    _count(f"category:{slug}", "print")
    return _pdf(html, f"katso-{slug}-{g.lang}.pdf")


@bp.get("/<lang>/print/cards.pdf")
def print_cards():
    chosen = list(dict.fromkeys(request.args.getlist("card")))
    if not chosen:
        raise APIError(400, _("Choose at least one card to print."))
    if len(chosen) > printing.MAX_PRINT_CARDS:
        raise APIError(400, _("Choose at most %(n)s cards at a time.", n=printing.MAX_PRINT_CARDS))
    s = store()
    bad = [slug for slug in chosen if not CARD_SLUG.match(slug)]
    cards = s.cards(slugs=[slug for slug in chosen if slug not in bad])
    missing = [slug for slug in chosen if slug not in {c.slug for c in cards}]
    if missing:
        shown = ", ".join(m[:64] for m in missing[:5])
        raise APIError(400, _("These cards do not exist or are not published: %(cards)s. "
                              "Go back and choose again.", cards=shown))
    _limit_printing()
    html = render_template("print_cards.html", title=_("Chosen cards"), category=None,
                           sheets=_card_sheets(cards, None), printing=printing)
    for c in cards:
        _count(f"card:{c.slug}", "print")
    return _pdf(html, f"katso-cards-{g.lang}.pdf")


@bp.get("/<lang>/print/guide.pdf")
def print_guide():
    s = store()
    cards = {c.slug: c for c in s.cards()}
    _limit_printing()
    html = render_template("print_guide.html", instructions=s.pages("instructions"),
                           examples=s.pages("example"), categories=s.categories(),
                           worldviews=s.worldviews(), cards=cards, video_url=s.setting("video_url"))
    _count("guide:booklet", "print")
    return _pdf(html, f"katso-guide-{g.lang}.pdf")


# -- accessibility statement and feedback ---------------------------------------------------
@bp.route("/<lang>/accessibility", methods=["GET", "POST"])
def accessibility():
    s = store()
    try:
        page = s.page("accessibility")
    except NotFound:
        page = None
    errors, form = {}, {"message": "", "contact": ""}
    status = 200
    if request.method == "POST":
        form = {"message": (request.form.get("message") or "").strip(),
                "contact": (request.form.get("contact") or "").strip()}
        if not form["message"]:
            errors["message"] = _("Write your feedback before sending it.")
        elif len(form["message"]) > MAX_FEEDBACK:
            errors["message"] = _("The feedback is too long: use at most %(n)s characters.", n=MAX_FEEDBACK)
        if len(form["contact"]) > 254:
            errors["contact"] = _("The contact details are too long: use at most 254 characters.")
        if "\x00" in form["message"] + form["contact"]:
            errors["message"] = _("The feedback contains characters that cannot be saved.")
        if not errors:
            enforce(context().feedback, _("Thank you, we have received several messages from "
                                          "your network. Try again in an hour."))
            s.add_feedback(form["message"], form["contact"], request.form.get("page", "")[:300], g.lang)
            flash(_("Thank you. Your feedback has been sent to the maintainers of Katso."))
            return redirect(url_for("katso.accessibility", lang=g.lang) + "#feedback")
        status = 400
    return render_template("accessibility.html", page=page, errors=errors, form=form), status


# -- pictures ------------------------------------------------------------------------------
@bp.get("/pictograms/<name>.svg")
def pictogram(name):
    path = pictogram_path(name)
    if path is None:
        _not_found()
    return Response(path.read_bytes(), mimetype="image/svg+xml", headers={
        "Content-Security-Policy": MEDIA_CSP, "X-Content-Type-Options": "nosniff",
        "Cache-Control": "public, max-age=3600"})


@bp.get("/images/<sha256>")
def image(sha256):
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        _not_found()
    asset = store().card_image(sha256)
    if asset is None:
        _not_found()
    return Response(asset.data, mimetype=asset.media_type, headers={
        "Content-Security-Policy": MEDIA_CSP, "X-Content-Type-Options": "nosniff",
        "Cache-Control": "public, max-age=31536000, immutable"})


def query_string(**params) -> str:
    return urlencode(params, doseq=True)
