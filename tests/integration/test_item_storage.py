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


def test_seeding_updates_provisional_parameters_of_unchanged_content_never_calibrated_ones(db):
    """Content that did not change keeps its version; its parameters follow what the content
    now computes while they are provisional, and stay once `taitotaso calibrate` set them."""
    items = load_content()
    ctests = [i for i in items if i.kind == "c_test"][:2]
    provisional, calibrated = ctests
    calibrated_irt = {"a": 1.7, "b": 0.2, "c": 0.0, "model": "grm",
                      "thresholds": [-1.0, 0.0, 1.0], "calibrated": {"n": 412, "mode": "free"}}
    with db.session() as s:
        ItemRepository(s).seed(items)
        for item in ctests:  # as stored by an older derivation of a C-test's parameters
            row = s.get(ItemRow, (item.id, 1))
            row.irt = {**row.irt, "a": 1.0, "thresholds": sorted(t - 0.3 for t in row.irt["thresholds"])}
        s.get(ItemRow, (calibrated.id, 1)).irt = calibrated_irt
        before = ItemRepository(s).bank_version()
    with db.session() as s:
        report = ItemRepository(s).seed(items)
        assert report.parameters_updated == 1 and report.unchanged == len(items)
        assert report.added == report.new_versions == 0
        fresh = s.get(ItemRow, (provisional.id, 1))
        assert fresh.irt == provisional.irt.as_dict() and fresh.status == "live"
        assert s.get(ItemRow, (calibrated.id, 1)).irt == calibrated_irt
        assert ItemRepository(s).bank_version() != before  # the testing service reloads
        assert s.scalar(select(func.count()).select_from(ItemRow)) == len(items)
    with db.session() as s:  # and again: nothing left to update
        assert ItemRepository(s).seed(items).parameters_updated == 0
