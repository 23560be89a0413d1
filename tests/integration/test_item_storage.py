"""Seeding the bank: idempotent, and changed content becomes a new version."""
from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from item_bank.content import load_content
from item_bank.orm import ItemRow
from item_bank.repository import ItemRepository
from services.common.db import Database


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'items.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    database = Database(url)
    database.upgrade()
    yield database
    database.dispose()


def test_seeding_twice_changes_nothing_and_an_edit_makes_a_new_version(db):
    items = load_content()
    with db.session() as s:
        first = ItemRepository(s).seed(items)
        v1 = ItemRepository(s).bank_version()
    assert first.added == len(items)
    with db.session() as s:
        again = ItemRepository(s).seed(items)
        assert ItemRepository(s).bank_version() == v1
    assert again.unchanged == len(items) and again.added == again.new_versions == 0

    edited = [dataclasses.replace(items[0], content={**items[0].content, "prompt": "Muutettu?"})
              if items[0].kind == "multiple_choice" else
              dataclasses.replace(items[0], accept=items[0].accept + ("toinen",))] + items[1:]
    with db.session() as s:
        report = ItemRepository(s).seed(edited)
        assert report.new_versions == 1
        assert ItemRepository(s).bank_version() != v1
    with db.session() as s:
        versions = s.execute(select(ItemRow.version, ItemRow.status).where(ItemRow.id == items[0].id)
                             .order_by(ItemRow.version)).all()
        assert versions == [(1, "retired"), (2, "live")]
        assert ItemRepository(s).get(items[0].id, 1) is not None
        live = s.scalar(select(func.count()).select_from(ItemRow).where(ItemRow.status == "live"))
        assert live == sum(i.status == "live" for i in items)  # practice items stay retired


def test_items_missing_from_the_content_are_retired_not_deleted(db):
    items = load_content()
    with db.session() as s:
        ItemRepository(s).seed(items)
    with db.session() as s:
        report = ItemRepository(s).seed(items[1:])
    assert report.retired == 1
    with db.session() as s:
        assert len(ItemRepository(s).live_items()) == sum(i.status == "live" for i in items) - 1
        assert ItemRepository(s).get(items[0].id, 1).status == "retired"
