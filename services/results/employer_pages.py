"""The employer's pages, with no sign-in and no session: the shared link ``/v/<token>`` with
its credential download, and the verification page ``/verify`` that checks a credential.

The views join ``pages.bp`` (imported at the end of ``pages.py``)."""
from __future__ import annotations

from flask import Response, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from assessment.reporting import level_range, range_text
from services.common.errors import APIError
from services.common.rate_limit import hit
from services.common.i18n import LANGUAGES

from . import sharing, verification
from .credentials import JWKS_PATH, KeyRingError
from .pages import bp, context, db
from .seekers import SeekerError
from .texts import (ASSURANCE_EXPLAINED, ASSURANCE_NAMES, ASSURANCE_TITLES, LEVEL_SUMMARY,
                    SKILL_NAMES, VERIFY_REASONS, VERIFY_STATES)


def _public_language() -> None:
    lang = request.args.get("lang")
    g.lang = lang if lang in LANGUAGES else (request.accept_languages.best_match(LANGUAGES) or "fi")


def _limited():
    """Count the look-up; a 429 page when this address has made too many."""
    wait = hit(context().link_lookups)
    if not wait:
        return None
    body = render_template("link_error.html", code=429, message=_(
        "Too many links have been checked from your network in a short time. Wait a minute "
        "and try again."))
    return Response(body, status=429, mimetype="text/html",
                    headers={"Retry-After": str(wait), "Cache-Control": "no-store"})


def _not_found():
    """The one answer for unknown, expired and withdrawn links: nothing tells them apart."""
    body = render_template("link_error.html", code=404, message=_(
        "This link does not work. It may have expired or been withdrawn, or it was copied "
        "incompletely. Ask the job seeker for a new link."))
    return Response(body, status=404, mimetype="text/html",
                    headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})


@bp.get("/v/<token>")
def employer_view(token):
    _public_language()
    limited = _limited()
    if limited is not None:
        return limited
    link = sharing.open_link(db(), token)
    if link is None:
        return _not_found()
    skills = [{"key": k, "name": SKILL_NAMES[k], "est": link["skills"][k],
               "range": level_range(link["skills"][k])}
              for k in SKILL_NAMES if k in link["skills"]]
    body = render_template(
        "employer_view.html", link=link, skills=skills, summary=LEVEL_SUMMARY.get(
            link["overall"].get("cefr"), ""), overall_range=level_range(link["overall"]),
        range_text=range_text,
        title=ASSURANCE_TITLES.get(link["assurance"], ASSURANCE_TITLES["unsupervised"]),
        verify_url=context().issuer_url + url_for("results_pages.verify_page"),
        assurance=ASSURANCE_NAMES.get(link["assurance"], link["assurance"]),
        assurance_explained=ASSURANCE_EXPLAINED.get(link["assurance"], ""),
        credential_url=url_for("results_pages.employer_credential", token=token),
        jwks_url=context().issuer_url + JWKS_PATH,
        status_url=context().issuer_url + sharing.status_path(link["credential_id"]),
        credential_id=f"urn:uuid:{link['credential_id']}")
    return Response(body, mimetype="text/html",
                    headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})


@bp.get("/v/<token>/credential.jwt")
def employer_credential(token):
    _public_language()
    limited = _limited()
    if limited is not None:
        return limited
    link = sharing.open_link(db(), token, viewer=sharing.CREDENTIAL_VIEWER)
    if link is None:
        return _not_found()
    try:
        jwt = sharing.credential_jwt(link, context().keys, context().issuer_url)
    except KeyRingError:
        current_app.logger.exception("the signing keys cannot be used")
        raise APIError(503, _("The credential cannot be signed at the moment. The levels on "
                              "the link's page are valid; try the download again later."))
    return Response(jwt, mimetype="application/jwt", headers={
        "Content-Disposition": 'attachment; filename="taitotaso-credential.jwt"',
        "Cache-Control": "no-store", "X-Robots-Tag": "noindex"})


# -- the employers' verification page ----------------------------------------------------
def _submitted_credential() -> str:
    """The credential text from the dropped or chosen file, or else the text box; a
    ``SeekerError`` (422/413) a person can act on when there is none or it is too big."""
    upload = request.files.get("file")
    raw = b""
    if upload is not None and upload.filename:
        raw = upload.stream.read(verification.MAX_CREDENTIAL_BYTES + 1)
    if not raw:
        raw = request.form.get("credential", "").encode("utf-8", "replace")
    if len(raw) > verification.MAX_CREDENTIAL_BYTES:
        raise SeekerError(_("This file is too large to be a Taitotaso credential (at most "
                            "64 kB). Choose the file you downloaded from the link page."),
                          field="credential", status=413)
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        text = ""
    if not text:
        raise SeekerError(_("Drop a credential file here, choose one, or paste its text into "
                            "the box, then press Check."), field="credential", status=422)
    return text


@bp.route("/verify", methods=["GET", "POST"])
def verify_page():
    """Employers check a credential: signature, withdrawal, expiry, and what it says.

    ``/verify`` on the suite's root (the address employers are told) reaches this app with
    its path unchanged; it is sent on to the page under the pages' mount point."""
    pages = current_app.config.get("RESULTS_PAGES_PATH", "/results").rstrip("/")
    if request.script_root != pages:
        query = request.query_string.decode("latin-1")
        return redirect(f"{pages}/verify" + (f"?{query}" if query else ""), 308)
    _public_language()
    verdict, error, status, text = None, None, 200, ""
    if request.method == "POST":
        limited = _limited()
        if limited is not None:
            return limited
        try:
            text = _submitted_credential()
        except SeekerError as err:
            error, status = str(err.message), err.status
        else:
            try:
                verdict = verification.verify(db(), context().keys, context().issuer_url, text)
            except KeyRingError:
                current_app.logger.exception("the signing keys cannot be read")
                raise APIError(503, _("Credentials cannot be checked at the moment. Try again "
                                      "in a few minutes."))
    body = render_template("verify.html", verdict=verdict, error=error, text=text[:4000],
                           states=VERIFY_STATES, reasons=VERIFY_REASONS,
                           assurance_titles=ASSURANCE_TITLES, issuer_url=context().issuer_url,
                           jwks_url=context().issuer_url + JWKS_PATH)
    return Response(body, status=status, mimetype="text/html",
                    headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})
