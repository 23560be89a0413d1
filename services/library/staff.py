"""The curators' pages: edit captions, alt texts and translations, upload photos, publish
and unpublish, the video link, usage statistics and the accessibility feedback.

Served by the library app under ``/staff`` (``/katso/staff`` in the gateway). Staff sign
in on the authoring service's page (:mod:`services.common.staff_session`); these pages
need the ``curator`` or the ``admin`` role.
"""
from __future__ import annotations

import csv
import io

from flask import (Blueprint, Response, flash, g, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _

from services.common.staff_session import staff_language, staff_with
from services.common.errors import APIError
from services.common.spreadsheet import safe_row

from .content import LANGS
from .images import MAX_BYTES, MAX_PIXELS, MIN_SIDE, ImageRejected, clean_image
from .repository import EVENTS, NotFound, text
from .pages import store
from .stats_chart import daily_chart

bp = Blueprint("katso_staff", __name__, url_prefix="/staff", template_folder="templates")

MAX_TEXT = {"caption": 80, "name": 80, "title": 120, "alt": 400, "summary": 400,
            "prompt": 600, "description": 4000, "body": 20000}
STAFF_ROLES = ("curator", "admin")


curator_only = staff_with(STAFF_ROLES, lambda: _(
    "These pages are for the curators of the Katso material: your account does not have the "
    "curator role. An admin can add it."))


@bp.before_request
def _language():
    if "\x00" in request.full_path:
        raise APIError(404, _("There is no such page."))
    staff_language("katso_staff_lang")


@bp.app_context_processor
def _staff_globals():
    return {"staff_lang_url": lambda code: url_for(request.endpoint or "katso_staff.dashboard",
                                                   **(request.view_args or {}), lang=code)}


def _texts_from_form(field: str, required: bool = True) -> tuple[dict, dict]:
    """``{fi, sv, en}`` from the fields ``<field>_<lang>``, and errors by field name."""
    values, errors = {}, {}
    limit = MAX_TEXT[field]
    for lang in LANGS:
        value = (request.form.get(f"{field}_{lang}") or "").replace("\x00", "").strip()
        if required and not value:
            errors[f"{field}_{lang}"] = _("Write this text: every language needs one.")
        elif len(value) > limit:
            errors[f"{field}_{lang}"] = _("Too long: use at most %(n)s characters.", n=limit)
        values[lang] = value
    return values, errors


def _published() -> bool:
    return request.form.get("published") == "1"


def _found(kind, slug):
    getter = {"card": store().card, "category": store().category, "worldview": store().worldview,
              "page": store().page}[kind]
    try:
        return getter(slug, published_only=False)
    except NotFound:
        raise APIError(404, _("There is no such material.")) from None


# -- overview ------------------------------------------------------------------------------
@bp.get("/")
@curator_only
def dashboard():
    s = store()
    cards = s.cards(published_only=False)
    by_category = {}
    for card in cards:
        by_category.setdefault(card.category_slug, []).append(card)
    usage = s.usage()
    return render_template("staff_dashboard.html", categories=s.categories(published_only=False),
                           by_category=by_category, worldviews=s.worldviews(published_only=False),
                           pages=s.pages(published_only=False), usage=usage,
                           open_feedback=sum(1 for f in s.feedback() if not f.handled))


@bp.post("/publish")
@curator_only
def publish():
    kind, slug = request.form.get("kind", ""), request.form.get("slug", "")
    if kind not in ("card", "category", "worldview", "page"):
        raise APIError(400, _("Choose what to publish or unpublish."))
    row = _found(kind, slug)
    store().update(kind, slug, published=not row.published)
    flash(_("Published.") if not row.published else _("Unpublished: visitors no longer see it."))
    return redirect(request.form.get("back") if request.form.get("back", "").startswith(
        request.script_root + "/staff/") else url_for("katso_staff.dashboard"))


# -- cards ---------------------------------------------------------------------------------
@bp.route("/cards/<slug>", methods=["GET", "POST"])
@curator_only
def card(slug):
    row = _found("card", slug)
    errors, status = {}, 200
    if request.method == "POST":
        values = {}
        for field in ("caption", "alt", "prompt"):
            values[field], errs = _texts_from_form(field)
            errors |= errs
        if not errors:
            store().update("card", slug, **values, published=_published())
            flash(_("The card has been saved."))
            return redirect(url_for("katso_staff.card", slug=slug))
        status = 400
        row = _Draft(row, values | {"published": _published()})
    return render_template("staff_card.html", card=row, category=store().category(
        row.category_slug, published_only=False), errors=errors, upload_errors={},
        limits=_limits()), status


class _Draft:
    """A row with the values a failed form sent, so the form shows what was typed."""

    def __init__(self, row, values: dict):
        self._row, self._values = row, values

    def __getattr__(self, name):
        return self._values[name] if name in self._values else getattr(self._row, name)


def _limits() -> dict:
    return {"mb": MAX_BYTES // 1_000_000, "megapixels": MAX_PIXELS // 1_000_000, "min_side": MIN_SIDE}


def _rejection_message(err: ImageRejected) -> str:
    d = err.detail
    return {
        "empty": _("Choose a photo to upload."),
        "too_large": _("The file is too large (%(size)s MB): a photo may be at most %(max)s MB.",
                       size=d.get("size_mb"), max=d.get("max_mb")),
        "type": _("This file is not a JPEG, PNG or WebP photo. Save it in one of these formats "
                  "and try again."),
        "pixels": _("The photo has too many pixels: at most %(n)s million. Make it smaller and "
                    "try again.", n=MAX_PIXELS // 1_000_000),
        "broken": _("The photo could not be read: the file may be damaged. Save it again and "
                    "try again."),
        "too_small": _("The photo is too small (%(w)s × %(h)s pixels) to print well: its shorter "
                       "side needs at least %(min)s pixels.", w=d.get("width"), h=d.get("height"),
                       min=d.get("min_side")),
    }[err.code]


@bp.post("/cards/<slug>/image")
@curator_only
def upload(slug):
    row = _found("card", slug)
    alt, errors = _texts_from_form("alt")
    upload = request.files.get("image")
    raw = upload.read(MAX_BYTES + 1) if upload else b""
    if not errors:
        try:
            clean = clean_image(raw)
        except ImageRejected as err:
            errors["image"] = _rejection_message(err)
    elif not raw:
        errors["image"] = _("Choose a photo to upload.")
    if errors:
        return render_template("staff_card.html", card=row, category=store().category(
            row.category_slug, published_only=False), errors={}, upload_errors=errors,
            upload_alt=alt, limits=_limits()), 400
    store().set_card_image(slug, clean.data, clean.media_type, clean.width, clean.height)
    store().update("card", slug, alt=alt)
    flash(_("The photo has been uploaded (%(w)s × %(h)s pixels, without its metadata).",
            w=clean.width, h=clean.height))
    return redirect(url_for("katso_staff.card", slug=slug))


@bp.post("/cards/<slug>/image/remove")
@curator_only
def remove_image(slug):
    row = _found("card", slug)
    if row.image_sha256:
        store().update("card", slug, image_sha256=None, image_width=None, image_height=None)
        flash(_("The photo has been removed: the card shows its drawing again. Check the alt "
                "texts: they should describe the drawing."))
    return redirect(url_for("katso_staff.card", slug=slug))


# -- categories, worldviews, pages -----------------------------------------------------------
@bp.route("/categories/<slug>", methods=["GET", "POST"])
@curator_only
def category(slug):
    row = _found("category", slug)
    errors, status = {}, 200
    if request.method == "POST":
        values = {}
        for field in ("name", "description"):
            values[field], errs = _texts_from_form(field)
            errors |= errs
        if not errors:
            store().update("category", slug, **values, published=_published())
            flash(_("The category has been saved."))
            return redirect(url_for("katso_staff.category", slug=slug))
        status, row = 400, _Draft(row, values | {"published": _published()})
    return render_template("staff_category.html", category=row, errors=errors,
                           cards=store().cards(category=slug, published_only=False)), status


@bp.route("/worldviews/<slug>", methods=["GET", "POST"])
@curator_only
def worldview(slug):
    row = _found("worldview", slug)
    all_cards = store().cards(published_only=False)
    errors, status = {}, 200
    if request.method == "POST":
        values = {}
        for field in ("name", "summary", "description"):
            values[field], errs = _texts_from_form(field)
            errors |= errs
        known = {c.slug for c in all_cards}
        chosen = [c for c in request.form.getlist("cards") if c in known]
        values["cards"] = [c.slug for c in all_cards if c.slug in chosen]
        if not errors:
            store().update("worldview", slug, **values, published=_published())
            flash(_("The worldview has been saved."))
            return redirect(url_for("katso_staff.worldview", slug=slug))
        status, row = 400, _Draft(row, values | {"published": _published()})
    return render_template("staff_worldview.html", worldview=row, errors=errors,
                           all_cards=all_cards,
                           categories={c.slug: c for c in store().categories(published_only=False)}), status


@bp.route("/pages/<slug>", methods=["GET", "POST"])
@curator_only
def page(slug):
    row = _found("page", slug)
    errors, status = {}, 200
    if request.method == "POST":
        values = {}
        for field in ("title", "body"):
            values[field], errs = _texts_from_form(field)
            errors |= errs
        if not errors:
            store().update("page", slug, **values, published=_published())
            flash(_("The page has been saved."))
            return redirect(url_for("katso_staff.page", slug=slug))
        status, row = 400, _Draft(row, values | {"published": _published()})
    return render_template("staff_page.html", page=row, errors=errors), status


@bp.route("/settings", methods=["GET", "POST"])
@curator_only
def settings():
    errors, status = {}, 200
    video_url = store().setting("video_url")
    if request.method == "POST":
        video_url = (request.form.get("video_url") or "").strip()
        if video_url and (not video_url.startswith("https://") or len(video_url) > 500
                          or any(ch.isspace() for ch in video_url)):
            errors["video_url"] = _("Give the video's address starting with https://, or leave "
                                    "the field empty to hide the video link.")
        if not errors:
            store().set_setting("video_url", video_url)
            flash(_("The settings have been saved."))
            return redirect(url_for("katso_staff.settings"))
        status = 400
    return render_template("staff_settings.html", video_url=video_url, errors=errors), status


# -- usage and feedback ----------------------------------------------------------------------
def _usage_rows(days: int | None):
    s = store()
    usage = s.usage(days)
    names = {}
    for c in s.categories(published_only=False):
        names[f"category:{c.slug}"] = (_("Category"), text(c.name, g.lang))
    for c in s.cards(published_only=False):
        names[f"card:{c.slug}"] = (_("Card"), text(c.caption, g.lang))
    for w in s.worldviews(published_only=False):
        names[f"worldview:{w.slug}"] = (_("Worldview"), text(w.name, g.lang))
    for p in s.pages(published_only=False):
        names[f"page:{p.slug}"] = (_("Page"), text(p.title, g.lang))
    names["guide:booklet"] = (_("Booklet"), _("Instructions booklet (PDF)"))
    rows = []
    for material, counts in usage.items():
        kind, name = names.get(material, (_("Removed"), material))
        rows.append({"material": material, "kind": kind, "name": name, **counts,
                     "total": sum(counts.values())})
    rows.sort(key=lambda r: (-r["total"], r["name"]))
    return rows


@bp.get("/stats")
@curator_only
def stats():
    try:
        days = int(request.args.get("days") or 30)
    except ValueError:
        days = 30
    days = days if days in (7, 30, 365) else 30
    rows = _usage_rows(days)
    totals = {event: sum(r[event] for r in rows) for event in EVENTS}
    return render_template("staff_stats.html", rows=rows, totals=totals, days=days,
                           chart=daily_chart(store().daily(days)))


@bp.get("/stats.csv")
@curator_only
def stats_csv():
    from services.common.spreadsheet import csv_separators

    out = io.StringIO()
    writer = csv.writer(out, delimiter=csv_separators(g.get("lang"))[0])
    writer.writerow(["material", "kind", "name", *EVENTS])
    for r in _usage_rows(None):   # captions are curators' text: never a formula in a sheet
        writer.writerow(safe_row([r["material"], r["kind"], r["name"], *(r[e] for e in EVENTS)]))
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="katso-usage.csv"'})


@bp.get("/feedback")
@curator_only
def feedback():
    return render_template("staff_feedback.html", feedback=store().feedback())


@bp.post("/feedback/<int:feedback_id>")
@curator_only
def feedback_handled(feedback_id):
    store().set_feedback_handled(feedback_id, request.form.get("handled") == "1")
    return redirect(url_for("katso_staff.feedback"))


