"""The live item bank as the testing service serves it: :class:`BankCache` reloads the bank
(as a pool assembled by the blueprint, with its pretest and speaking items) when the bank
version in the database changes; :func:`servable` says which items the adaptive test can
give."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from functools import cached_property

from sqlalchemy import select

from assessment.cefr import LEVELS
from assessment.pool import ItemPool
from assessment.selection import Blueprint
from item_bank import block_fits
from item_bank.assembly import adaptive_kind, assemble
from item_bank.model import Item
from item_bank.orm import ItemRow
from item_bank.repository import ItemRepository, row_to_item
from services.common.db import Database
from services.common.errors import APIError

from .speaking import SPEAKING_TASKS


@dataclass(frozen=True)
class LoadedBank:
    version: str
    items: dict[str, Item]
    pool: ItemPool
    pretest: tuple[Item, ...] = ()  # reviewed items waiting for calibration data
    # live read-aloud and speaking-prompt items: the optional speaking part after the test
    speaking: tuple[Item, ...] = ()

    @property
    def ceiling(self) -> str:
        """The highest level the bank has items for: above it, levels cannot be told apart."""
        return max((i.cefr for i in self.items.values()), key=LEVELS.index)

    @cached_property
    def testlet_sizes(self) -> dict[str, int]:
        """How many live items each text (or block) has."""
        sizes: dict[str, int] = {}
        for item in self.items.values():
            if item.testlet:
                sizes[item.testlet] = sizes.get(item.testlet, 0) + 1
        return sizes


class BankCache:
    """The live bank as a pool, reloaded when the bank version in the database changes
    (checked at most every ``check_seconds``). The pool is assembled as the simulation
    assembles it (:func:`item_bank.assembly.assemble`): blocks by the ``blueprint``."""

    def __init__(self, db: Database, check_seconds: float = 30.0, blueprint: Blueprint | None = None):
        self.db = db
        self.check_seconds = check_seconds
        self.blueprint = blueprint or Blueprint.load()
        self._bank: LoadedBank | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def get(self) -> LoadedBank:
        now = time.monotonic()
        if self._bank is not None and now - self._checked < self.check_seconds:
            return self._bank
        with self._lock:
            with self.db.session() as s:
                repo = ItemRepository(s)
                version = repo.bank_version()
                if version is None:
                    raise APIError(503, "The item bank is empty: run `taitotaso db seed` first.")
                if self._bank is None or self._bank.version != version:
                    live = repo.live_items()
                    items = [i for i in live if servable(i)]
                    if not items:
                        raise APIError(503, "The item bank has no live items.")
                    speaking = tuple(sorted((i for i in live if i.kind in SPEAKING_TASKS),
                                            key=lambda i: i.id))
                    # the blocks' fits kept with the bank; any made here is kept for others
                    block_fits.load(s)
                    items, pool = assemble(items, self.blueprint)
                    block_fits.keep_new(s)
                    self._bank = LoadedBank(version, {i.id: i for i in items}, pool,
                                            speaking=speaking)
                rows = s.scalars(select(ItemRow).where(ItemRow.status == "reviewed")
                                 .order_by(ItemRow.id, ItemRow.version)).all()
                pretest = tuple(i for i in map(row_to_item, rows)
                                if servable(i) and not i.testlet and i.id not in self._bank.items)
                if pretest != self._bank.pretest:
                    self._bank = replace(self._bank, pretest=pretest)
            self._checked = now
            return self._bank


def servable(item: Item) -> bool:
    """An item the adaptive test can give now: scored on submission (objective kinds and
    writing tasks), with its audio made."""
    return adaptive_kind(item) and all(role in item.assets for role in item.audio_texts())
