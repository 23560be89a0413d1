"""The authoring service layer: what the API and the pages both call.

Items are changed only through :class:`item_bank.repository.ItemRepository`, which moves
the bank version whenever the set of live items changes, so the testing service picks up
a change within its ``bank_check_seconds``. A version that has been live or served is
never changed: an edit then makes a new draft version and the old one stays as it was.
"""
from __future__ import annotations

import logging
import unicodedata
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from assessment.cefr import CutScores
from assessment.irt import grm_information, item_information
from item_bank.content import item_from_dict
from item_bank.model import STATUSES, Item
from item_bank.orm import ItemStatistics
from item_bank.repository import ItemRepository
from item_bank.schema import ID_RE, StimulusSchema
from services.common.accounts import Staff, StaffUser
from services.common.config import Config
from services.common.db import Database
from services.common.errors import APIError

from .orm import ItemEvent
from .ports import ItemExposure, TestingUnavailable, item_exposure_for
from .texts import STATUS_NAMES

log = logging.getLogger(__name__)

# which status each status may move to, and who may move an item there
FLOW = {"draft": ("reviewed",), "reviewed": ("live", "draft"), "live": ("retired",),
        "retired": ()}
ROLE_FOR = {"reviewed": "reviewer", "live": "reviewer", "retired": "reviewer", "draft": "author"}
# keys of an item body that place a question in a testlet (not part of the kind's schema)
TESTLET_KEYS = ("testlet", "position", "stimulus")
SEARCHED = ("prompt", "text", "word", "context", "audio_text", "hint")


class TestletPlacementSchema(Schema):
    testlet = fields.String(allow_none=True, validate=validate.Regexp(
        ID_RE, error="ids use lowercase letters, digits and hyphens"))
    position = fields.Integer(validate=validate.Range(min=0, max=50))
    stimulus = fields.Nested(StimulusSchema, allow_none=True)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def search_text(item: Item) -> str:
    """What ``q`` searches in: the id and the Finnish text a job seeker reads or hears."""
    parts = [item.id, item.testlet or ""]
    c = item.content
    parts += [c[k] for k in SEARCHED if isinstance(c.get(k), str)]
    parts += [w for w in c.get("words", ()) if isinstance(w, str)]
    parts += [v for v in (c.get("choices") or {}).values() if isinstance(v, str)]
    if item.stimulus:
        parts += [v for v in item.stimulus.values() if isinstance(v, str)]
    return _fold(" \n".join(parts))


def summary(item: Item, length: int = 90) -> str:
    c = item.content
    text = next((c[k] for k in ("prompt", "word", "text", "audio_text") if isinstance(c.get(k), str)),
                " ".join(c.get("words", ())))
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def information_curve(item: Item, lo: float = -4.0, hi: float = 4.0, step: float = 0.05):
    """Fisher information of the item on a θ grid (3PL or graded response model)."""
    grid = np.round(np.arange(lo, hi + step / 2, step), 4)
    irt = item.irt
    if irt.model == "grm":
        info = grm_information(grid, irt.a, irt.thresholds)
    else:
        info = item_information(grid, irt.a, irt.b, irt.c)
    return grid, np.asarray(info, dtype=float)


def exposure_unknown() -> str:
    """Why an item's exposure is not shown (translated when it is shown)."""
    return _("The testing service does not answer right now, so how often this item has been "
             "given in tests cannot be shown. Reload the page in a minute.")


class AuthoringService:
    def __init__(self, db: Database, config: Config, cuts: CutScores | None = None,
                 make_audio=None, exposure: ItemExposure | None = None):
        self.db = db
        self.config = config
        # what the testing service says of the tests that gave an item (ports.ItemExposure)
        self.exposure = exposure if exposure is not None else item_exposure_for(config, db)
        self.cuts = cuts or CutScores.load()
        if make_audio is None:
            from item_bank.audio import synthesise

            cache = Path(config.var_dir) / "cache" / "audio"

            def make_audio(text: str, cefr: str) -> bytes:
                return synthesise(text, cefr, cache)
        self.make_audio = make_audio

    # -- reading -------------------------------------------------------------------------
    def list_items(self, *, skill=None, cefr=None, kind=None, status=None, topic=None, q=None,
                   page: int = 1, per_page: int = 50) -> dict:
        with self.db.session() as s:
            items = ItemRepository(s).latest_items(skill=skill, cefr=cefr, kind=kind,
                                                   status=status, topic=topic)
        terms = _fold(q or "").split()
        if terms:
            items = [i for i in items if all(t in search_text(i) for t in terms)]
        total = len(items)
        pages = max(1, -(-total // per_page))
        start = (page - 1) * per_page
        return {"items": items[start:start + per_page], "total": total, "page": page,
                "per_page": per_page, "pages": pages}

    def _latest(self, repo: ItemRepository, item_id: str) -> Item:
        item = repo.latest(item_id)
        if item is None:
            raise APIError(404, _("There is no item with the id %(id)s.", id=item_id))
        return item

    def _used_versions(self, item_id: str) -> set[int] | None:
        """The versions of ``item_id`` given in a test, or None when the testing service
        cannot say now."""
        try:
            return set(self.exposure.served_versions(item_id))
        except TestingUnavailable as err:
            log.warning("which versions of %s were served is not known now: %s", item_id, err)
            return None

    def detail(self, item_id: str, version: int | None = None) -> dict:
        """One version (the newest unless ``version``) with every version of its id."""
        with self.db.session() as s:
            history = ItemRepository(s).versions(item_id)
            if not history:
                raise APIError(404, _("There is no item with the id %(id)s.", id=item_id))
            events = s.execute(select(ItemEvent, StaffUser.name)
                               .outerjoin(StaffUser, StaffUser.id == ItemEvent.staff_id)
                               .where(ItemEvent.item_id == item_id)
                               .order_by(ItemEvent.at, ItemEvent.id)).all()
        by_version = {i.version: (i, at) for i, at in history}
        # None (not known now) where the testing service does not answer
        used = self._used_versions(item_id)

        def was_used(v: int) -> bool | None:
            return None if used is None else v in used

        if version is None:
            version = history[-1][0].version
        if version not in by_version:
            raise APIError(404, _("Item %(id)s has no version %(version)s.", id=item_id,
                                  version=version))
        item, created_at = by_version[version]
        return {
            "item": item, "created_at": created_at, "used": was_used(version),
            "latest_version": history[-1][0].version,
            "versions": [{"version": i.version, "status": i.status, "created_at": at,
                          "used": was_used(i.version), "content_hash": i.content_hash()}
                         for i, at in history],
            "events": [{"version": e.version, "action": e.action, "from_status": e.from_status,
                        "to_status": e.to_status, "by": name, "at": e.at} for e, name in events],
        }

    def testlet_size(self, testlet: str) -> int:
        with self.db.session() as s:
            return len([i for i in ItemRepository(s).latest_items(testlet_id=testlet)
                        if i.status != "retired"])

    def asset(self, sha256: str) -> tuple[str, bytes]:
        with self.db.session() as s:
            found = ItemRepository(s).asset(sha256)
            if found is None:
                raise APIError(404, _("There is no such recording."))
            return found.media_type, found.data

    # -- writing -------------------------------------------------------------------------
    def build_item(self, raw, item_id: str | None = None, previous: Item | None = None) -> Item:
        """An item from a body as written in a content file, validated by its kind's
        schema; 422 names every field that breaks a rule."""
        if not isinstance(raw, dict):
            raise APIError(422, _("Send the item as an object of fields."),
                           {"_schema": ["the item must be an object (a mapping of fields)"]})
        raw = dict(raw)
        errors: dict = {}
        if item_id is not None:
            if raw.setdefault("id", item_id) != item_id:
                errors["id"] = [f"the id cannot change (this is item {item_id}); "
                                "create a new item for a new id"]
        status = raw.pop("status", "draft")
        if status != "draft":
            errors["status"] = ["new and edited items start as draft; change the status "
                                "with a transition"]
        placement = {k: raw.pop(k) for k in TESTLET_KEYS if k in raw}
        try:
            placement = TestletPlacementSchema().load(placement)
        except ValidationError as err:
            errors.update(err.normalized_messages())
            placement = {}
        item = None
        try:
            item = item_from_dict(raw, self.cuts)
        except ValidationError as err:
            errors.update(err.normalized_messages())
        if errors:
            raise APIError(422, _("The item is not valid: see the errors of each field."), errors)
        # a testlet question keeps its place unless the body says otherwise
        testlet = placement.get("testlet", previous.testlet if previous else None)
        position = placement.get("position", previous.position if previous and testlet else 0)
        stimulus = placement.get("stimulus", previous.stimulus if previous and testlet else None)
        if not testlet and (stimulus or position):
            raise APIError(422, _("The item is not valid: see the errors of each field."),
                           {"testlet": ["a stimulus and a position belong to a testlet "
                                        "question: give the testlet id too"]})
        return replace(item, status="draft", testlet=testlet or None,
                       position=position if testlet else 0, stimulus=stimulus or None)

    def _with_stimulus_of_siblings(self, repo: ItemRepository, item: Item) -> Item:
        if item.testlet and not item.stimulus:
            for sibling in repo.latest_items(testlet_id=item.testlet):
                if sibling.id != item.id and sibling.stimulus:
                    return replace(item, stimulus=dict(sibling.stimulus))
        return item

    def _audio(self, item: Item) -> dict[str, bytes]:
        """The recordings of a listening item, made before any transaction opens."""
        made = {}
        for role, text in item.audio_texts().items():
            try:
                made[role] = self.make_audio(text, item.cefr)
            except Exception as err:  # the item is kept; it cannot go live without audio
                log.warning("audio of %s (%s) could not be made: %s", item.id, role, err)
        return made

    @staticmethod
    def _store_audio(repo: ItemRepository, item: Item, audio: dict[str, bytes]) -> Item:
        assets = {role: repo.put_asset(data, "audio/ogg") for role, data in audio.items()}
        return replace(item, assets=assets)

    @staticmethod
    def _event(s, item: Item, action: str, staff: Staff | None, from_status=None, to_status=None):
        s.add(ItemEvent(item_id=item.id, version=item.version, action=action,
                        from_status=from_status, to_status=to_status,
                        staff_id=staff.id if staff else None, at=datetime.now(timezone.utc)))

    def create(self, raw, staff: Staff) -> Item:
        item = self.build_item(raw)
        audio = self._audio(item)
        try:
            with self.db.session() as s:
                repo = ItemRepository(s)
                if repo.latest(item.id) is not None:
                    raise APIError(409, _("The id %(id)s is already used; choose another id.",
                                          id=item.id), {"id": ["already used"]})
                item = self._with_stimulus_of_siblings(repo, item)
                item = self._store_audio(repo, replace(item, version=1), audio)
                saved = repo.save_version(item)
                self._event(s, saved, "created", staff, to_status="draft")
        except IntegrityError:
            raise APIError(409, _("The id %(id)s is already used; choose another id.", id=item.id),
                           {"id": ["already used"]}) from None
        return saved

    def edit(self, item_id: str, raw, staff: Staff, base_version: int | None = None) -> tuple[Item, bool]:
        """Returns the stored version and whether it is a new one."""
        with self.db.session() as s:
            previous = self._latest(ItemRepository(s), item_id)
        item = self.build_item(raw, item_id, previous)
        audio = self._audio(item) if item.audio_texts() else {}
        # asked before the write, not while it holds the database
        used_versions = self._used_versions(item_id)
        with self.db.session() as s:
            repo = ItemRepository(s)
            latest = self._latest(repo, item_id)
            if base_version is not None and base_version != latest.version:
                raise APIError(409, _("Item %(id)s has changed since you opened it: version "
                                      "%(version)s is the newest. Reload it and edit again.",
                                      id=item_id, version=latest.version))
            item = self._with_stimulus_of_siblings(repo, item)
            if item.content_hash() == latest.content_hash() and item.irt == latest.irt:
                return latest, False
            new = latest.status in ("live", "retired")
            if not new:
                if used_versions is None:
                    raise APIError(503, _(
                        "Nothing was saved: the testing service does not answer right now, and "
                        "only it knows whether version %(version)s has been given in a test "
                        "(then an edit makes a new version). Try again in a minute.",
                        version=latest.version))
                new = latest.version in used_versions
            version = latest.version + 1 if new else latest.version
            item = self._store_audio(repo, replace(item, version=version, status="draft"), audio)
            saved = repo.save_version(item)
            self._event(s, saved, "new_version" if new else "edited", staff,
                        from_status=None if new else latest.status, to_status="draft")
        return saved, new

    def transition(self, item_id: str, to: str, staff: Staff, version: int | None = None) -> Item:
        if to not in STATUSES:
            raise APIError(422, _("The request is not valid: see the errors of each field."),
                           {"to": [f"must be one of {', '.join(STATUSES)}"]})
        needed = ROLE_FOR[to]
        if not staff.has(needed):
            message = (_("Only a reviewer can make an item live.") if to == "live" else
                       _("Only a reviewer can move an item to %(status)s.",
                         status=STATUS_NAMES[to]))
            raise APIError(403, message)
        with self.db.session() as s:
            repo = ItemRepository(s)
            item = self._latest(repo, item_id) if version is None else repo.get(item_id, version)
            if item is None:
                raise APIError(404, _("Item %(id)s has no version %(version)s.", id=item_id,
                                      version=version))
            allowed = FLOW[item.status]
            if to not in allowed:
                if allowed:
                    message = _("Version %(version)s of %(id)s has the status %(status)s: it "
                                "can only move to %(allowed)s.", version=item.version,
                                id=item_id, status=STATUS_NAMES[item.status],
                                allowed=", ".join(str(STATUS_NAMES[a]) for a in allowed))
                else:
                    message = _("Version %(version)s of %(id)s is retired and stays so: edit "
                                "the item to make a new draft version.", version=item.version,
                                id=item_id)
                raise APIError(409, message, {"to": [f"allowed from {item.status}: "
                                                     f"{', '.join(allowed) or 'none'}"]})
        if to == "live":
            missing = [r for r in item.audio_texts() if r not in item.assets]
            if missing:
                audio = self._audio(item)
                if any(r not in audio for r in missing):
                    raise APIError(409, _("The recording of this item could not be made, so it "
                                          "cannot go live. Try again later."))
                with self.db.session() as s:
                    repo = ItemRepository(s)
                    assets = {**item.assets, **{r: repo.put_asset(audio[r], "audio/ogg")
                                                for r in missing}}
                    repo.save_version(replace(repo.get(item_id, item.version), assets=assets))
        with self.db.session() as s:
            repo = ItemRepository(s)
            current = repo.get(item_id, item.version)
            if current.status != item.status:  # changed meanwhile by someone else
                raise APIError(409, _("Item %(id)s has changed since you opened it: version "
                                      "%(version)s is the newest. Reload it and edit again.",
                                      id=item_id, version=item.version))
            changed = repo.set_status(item_id, item.version, to)
            self._event(s, changed, "status", staff, from_status=item.status, to_status=to)
        return changed

    # -- statistics ----------------------------------------------------------------------
    # -- QTI packages ----------------------------------------------------------------------
    def export_qti(self, status: str | None) -> tuple[bytes, int]:
        from item_bank.qti import QTIExportError, export_package

        with self.db.session() as s:
            items, assets = ItemRepository(s).package_contents(status)
        if not items:
            raise APIError(404, _("No items with this status to export."))
        try:
            return export_package(items, assets), len(items)
        except QTIExportError as err:
            raise APIError(409, _("The package could not be made: %(why)s", why=str(err))) from None

    def import_qti(self, data: bytes, staff: Staff, keep_status: bool = False) -> dict:
        """All of the package or nothing; new content becomes draft versions unless a
        reviewer keeps the package's review status."""
        from item_bank.qti import QTIImportError, import_package

        if keep_status and "reviewer" not in staff.roles:
            raise APIError(403, _("Only a reviewer can keep the review status of imported items."))
        try:
            items, assets = import_package(data)
        except QTIImportError as err:
            raise APIError(422, _("Nothing was imported: %(why)s", why=str(err)),
                           {"package": [str(err)]}) from None
        with self.db.session() as s:
            stored, unchanged = ItemRepository(s).import_items(items, assets, keep_status)
            for item in stored:
                self._event(s, item, "imported", staff, to_status=item.status)
        return {"imported": len(stored), "unchanged": unchanged, "assets": len(assets),
                "ids": [i.id for i in stored]}

    def statistics(self, item_id: str, version: int | None = None, partial: bool = False) -> dict:
        """Answers from the finished tests (``ItemStatistics``, kept by a queued job) and
        exposure from every test started since the version was made (the testing service's,
        through ``ports.ItemExposure``). When the testing service does not answer: 503, or
        with ``partial`` the rest with ``served``, ``sessions`` and ``exposure_rate`` None and
        ``exposure_unknown`` saying why."""
        with self.db.session() as s:
            repo = ItemRepository(s)
            history = dict((i.version, (i, at)) for i, at in repo.versions(item_id))
            if not history:
                raise APIError(404, _("There is no item with the id %(id)s.", id=item_id))
            version = max(history) if version is None else version
            if version not in history:
                raise APIError(404, _("Item %(id)s has no version %(version)s.", id=item_id,
                                      version=version))
            item, created_at = history[version]
            stat = s.get(ItemStatistics, (item_id, version))
        unknown = None
        try:
            exposure = self.exposure.exposure(item_id, version, created_at)
            served, sessions = exposure["served"], exposure["sessions"]
        except TestingUnavailable as err:
            log.warning("the exposure of %s version %s is not known now: %s", item_id, version, err)
            unknown = exposure_unknown()
            if not partial:
                raise APIError(503, unknown) from None
            served = sessions = None
        answered = stat.answered if stat else 0
        score_sum = float(stat.score_sum) if stat else 0.0
        return {
            "item_id": item_id, "version": version, "served": served,
            "served_in_finished_tests": stat.served if stat else 0,
            "answered": answered, "score_sum": score_sum, "max_score": item.max_score,
            "proportion_correct": (round(score_sum / answered / item.max_score, 4)
                                   if answered else None),
            "sessions": sessions,
            "exposure_rate": round(served / sessions, 4) if sessions else None,
            "exposure_unknown": unknown,
        }


__all__ = ["AuthoringService", "FLOW", "ROLE_FOR", "information_curve", "summary"]
