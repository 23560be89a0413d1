"""Storing and reading items through SQLAlchemy."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .model import IRT, Item
from .orm import Asset, BankState, ItemRow, utcnow

AudioMaker = Callable[[str, str], bytes]  # (text, cefr) -> Ogg Vorbis bytes


def row_to_item(row: ItemRow) -> Item:
    irt = dict(row.irt)
    irt["thresholds"] = tuple(irt.get("thresholds", ()))
    return Item(id=row.id, version=row.version, kind=row.kind, skill=row.skill, cefr=row.cefr,
                topic=row.topic, status=row.status, content=row.content, key=row.key,
                accept=tuple(row.accept or ()), irt=IRT(**irt), testlet=row.testlet_id,
                position=row.position, stimulus=row.stimulus, assets=dict(row.assets or {}))


@dataclass
class SeedReport:
    added: int = 0
    new_versions: int = 0
    unchanged: int = 0
    retired: int = 0
    parameters_updated: int = 0  # unchanged content whose provisional parameters changed
    audio_made: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class ItemRepository:
    def __init__(self, db: Session):
        self.db = db

    def live_items(self) -> list[Item]:
        rows = self.db.scalars(select(ItemRow).where(ItemRow.status == "live")
                               .order_by(ItemRow.testlet_id, ItemRow.position, ItemRow.id)).all()
        return [row_to_item(r) for r in rows]

    def get(self, item_id: str, version: int) -> Item | None:
        row = self.db.get(ItemRow, (item_id, version))
        return row_to_item(row) if row else None

    def bank_version(self) -> str | None:
        state = self.db.get(BankState, 1)
        return state.version if state else None

    def put_asset(self, data: bytes, media_type: str) -> str:
        sha = hashlib.sha256(data).hexdigest()
        if self.db.get(Asset, sha) is None:
            self.db.add(Asset(sha256=sha, media_type=media_type, size=len(data), data=data))
        return sha

    def asset(self, sha256: str) -> Asset | None:
        return self.db.get(Asset, sha256)

    def _with_audio(self, item: Item, make_audio: AudioMaker | None, report: SeedReport,
                    shared: dict[str, str]) -> Item:
        """The item with its audio assets. A testlet's recording is made once, at the level
        of its first question, and shared by all its questions (``shared``: testlet -> sha)."""
        texts = item.audio_texts()
        if not texts or make_audio is None:
            return item
        assets = dict(item.assets)
        for role, text in texts.items():
            if role in assets:
                continue
            if role == "stimulus_audio" and item.testlet in shared:
                assets[role] = shared[item.testlet]
                continue
            assets[role] = self.put_asset(make_audio(text, item.cefr), "audio/ogg")
            report.audio_made += 1
            if role == "stimulus_audio" and item.testlet:
                shared[item.testlet] = assets[role]
        return replace(item, assets=assets)

    def seed(self, items: list[Item], retire_missing: bool = True,
             make_audio: AudioMaker | None = None, progress=None) -> SeedReport:
        """Make ``items`` the live bank. Changed content becomes a new version and the old
        one is retired, so sessions keep pointing at what they were given. Listening items
        get their audio from ``make_audio`` (made once, then found by its recipe's cache).

        Unchanged content keeps its version, but its provisional IRT parameters (values
        computed from the CEFR target, not yet calibrated) follow what the content now
        computes, e.g. after the way a kind's initial parameters are derived changes.
        Calibrated parameters (``irt.calibrated``, written by ``taitotaso calibrate``) and
        provisional ones it moved or estimated (``irt.provisional_shift``,
        ``irt.provisional_estimate``) are never overwritten. Sessions keep a copy of the parameters each item was given
        with, so their estimates do not move."""
        report = SeedReport()
        latest: dict[str, ItemRow] = {}
        for row in self.db.scalars(select(ItemRow)).all():
            if row.id not in latest or row.version > latest[row.id].version:
                latest[row.id] = row
        wanted = set()
        testlet_audio: dict[str, str] = {}
        for n, item in enumerate(items):
            if progress and (n + 1) % 50 == 0:
                progress(n + 1, len(items))
            wanted.add(item.id)
            item = self._with_audio(item, make_audio, report, testlet_audio)
            digest = item.content_hash()
            old = latest.get(item.id)
            if old is not None and old.content_hash == digest:
                if old.status != item.status:
                    old.status = item.status
                if item.assets and old.assets != item.assets:
                    old.assets = item.assets
                irt = old.irt or {}
                provisional = not (irt.get("calibrated") or irt.get("provisional_shift")
                                   or irt.get("provisional_estimate"))
                if provisional and old.irt != item.irt.as_dict():
                    old.irt = item.irt.as_dict()
                    report.parameters_updated += 1
                report.unchanged += 1
                continue
            version = 1
            if old is not None:
                old.status = "retired"
                version = old.version + 1
                report.new_versions += 1
            else:
                report.added += 1
            self.db.add(ItemRow(id=item.id, version=version, kind=item.kind, skill=item.skill,
                                cefr=item.cefr, topic=item.topic, status=item.status,
                                assets=item.assets or None,
                                testlet_id=item.testlet, position=item.position,
                                content=item.content, stimulus=item.stimulus, key=item.key,
                                accept=list(item.accept), irt=item.irt.as_dict(),
                                content_hash=digest))
        if retire_missing:
            for item_id, row in latest.items():
                if item_id not in wanted and row.status == "live":
                    row.status = "retired"
                    report.retired += 1
        self.db.flush()
        self._touch()
        return report

    # -- authoring: versions of one id --------------------------------------------------
    def versions(self, item_id: str) -> list[tuple[Item, datetime]]:
        """Every version of ``item_id``, oldest first, each with when it was made."""
        rows = self.db.scalars(select(ItemRow).where(ItemRow.id == item_id)
                               .order_by(ItemRow.version)).all()
        return [(row_to_item(r), r.created_at) for r in rows]

    def latest(self, item_id: str) -> Item | None:
        row = self.db.scalars(select(ItemRow).where(ItemRow.id == item_id)
                              .order_by(ItemRow.version.desc()).limit(1)).first()
        return row_to_item(row) if row else None

    def latest_items(self, **filters) -> list[Item]:
        """The newest version of every id, optionally only those whose newest version has
        the given ``skill``, ``cefr``, ``kind``, ``status``, ``topic`` or ``testlet_id``."""
        newest = (select(ItemRow.id, func.max(ItemRow.version).label("version"))
                  .group_by(ItemRow.id).subquery())
        query = select(ItemRow).join(newest, (ItemRow.id == newest.c.id)
                                     & (ItemRow.version == newest.c.version))
        for name, value in filters.items():
            if name not in ("skill", "cefr", "kind", "status", "topic", "testlet_id"):
                raise ValueError(f"cannot filter items by {name!r}")
            if value is not None:
                query = query.where(getattr(ItemRow, name) == value)
        rows = self.db.scalars(query.order_by(ItemRow.id)).all()
        return [row_to_item(r) for r in rows]

    def save_version(self, item: Item) -> Item:
        """Store ``item`` as version ``item.version`` of its id: a new row, or that version
        changed in place. Callers change in place only versions never served. The bank
        version follows, so the testing service sees the change."""
        values = dict(kind=item.kind, skill=item.skill, cefr=item.cefr, topic=item.topic,
                      status=item.status, testlet_id=item.testlet, position=item.position,
                      content=item.content, stimulus=item.stimulus, key=item.key,
                      accept=list(item.accept), irt=item.irt.as_dict(),
                      content_hash=item.content_hash(), assets=item.assets or None)
        row = self.db.get(ItemRow, (item.id, item.version))
        if row is None:
            row = ItemRow(id=item.id, version=item.version, **values)
            self.db.add(row)
        else:
            for name, value in values.items():
                setattr(row, name, value)
        self.db.flush()
        self._touch()
        return row_to_item(row)

    def set_status(self, item_id: str, version: int, status: str) -> Item | None:
        """Move one version to ``status``; a version made live retires the version of the
        same id that was live before. The bank version follows."""
        rows = self.db.scalars(select(ItemRow).where(ItemRow.id == item_id)
                               .with_for_update()).all()
        target = next((r for r in rows if r.version == version), None)
        if target is None:
            return None
        if status == "live":
            for other in rows:
                if other.version != version and other.status == "live":
                    other.status = "retired"
        target.status = status
        self.db.flush()
        self._touch()
        return row_to_item(target)

    # -- packages (QTI) ---------------------------------------------------------------------
    def package_contents(self, status: str | None = "live") -> tuple[list[Item], dict[str, tuple[str, bytes]]]:
        """Items to put in a package (the live bank, or the newest version of each id with
        ``status``; ``None`` for all) and the assets they use, by sha256."""
        items = self.live_items() if status == "live" else self.latest_items(status=status)
        shas = {sha for item in items for sha in item.assets.values()}
        assets = {}
        for sha in shas:
            found = self.asset(sha)
            if found is not None:
                assets[sha] = (found.media_type, found.data)
        return items, assets

    def import_items(self, items: list[Item], assets: dict[str, tuple[str, bytes]],
                     keep_status: bool = False) -> tuple[list[Item], int]:
        """Store imported items: content the bank already has is skipped, anything else
        becomes the next version of its id, as a draft unless ``keep_status``. The caller's
        unit of work makes it all or nothing."""
        for _sha, (media_type, data) in assets.items():
            self.put_asset(data, media_type)
        stored, unchanged = [], 0
        for item in items:
            latest = self.latest(item.id)
            if latest is not None and latest.content_hash() == item.content_hash():
                unchanged += 1
                continue
            version = latest.version + 1 if latest is not None else item.version
            stored.append(self.save_version(replace(
                item, version=version, status=item.status if keep_status else "draft")))
        return stored, unchanged

    def _touch(self) -> None:
        rows = self.db.execute(select(ItemRow.id, ItemRow.version, ItemRow.irt, ItemRow.assets)
                               .where(ItemRow.status == "live").order_by(ItemRow.id)).all()
        h = hashlib.sha256()
        for item_id, version, irt, assets in rows:
            h.update(f"{item_id}@{version}:{sorted(irt.items())}:{sorted((assets or {}).items())}\n".encode())
        state = self.db.get(BankState, 1)
        if state is None:
            self.db.add(BankState(id=1, version=h.hexdigest()[:12], updated_at=utcnow()))
        else:
            state.version = h.hexdigest()[:12]
            state.updated_at = utcnow()
