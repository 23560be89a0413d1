"""The graded-response fits of the bank's blocks (assessment/testlets.py), kept in the
database (``block_fits``).

Fitting a block's approximation runs scipy's optimiser, which costs the process some
60 MB of memory and a moment at bank load. The process that changes the bank fits its
blocks (``taitotaso db seed``, ``taitotaso calibrate --apply``) and keeps the fits here;
the testing service takes them from here when it loads the bank and keeps any fit it had
to make itself, so that one process, once, makes each fit.
"""
from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from assessment import testlets

from .orm import BlockFit


def _hash(key) -> str:
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()


def _key(stored) -> tuple:
    a, b, c, sd, floor = stored
    return (tuple(a), tuple(b), tuple(c), float(sd), int(floor))


def load(s) -> int:
    """Remember every kept fit in this process; returns how many there are."""
    rows = s.execute(select(BlockFit.key, BlockFit.slope, BlockFit.thresholds)).all()
    testlets.remember_fits({_key(k): (slope, tuple(thr)) for k, slope, thr in rows})
    return len(rows)


def keep_new(s) -> int:
    """Keep the fits this process knows and the database lacks; returns how many. A fit
    another process kept at the same moment is left as it is (the same key, the same fit)."""
    stored = set(s.scalars(select(BlockFit.key_hash)).all())
    kept = 0
    for key, (slope, thresholds) in testlets.known_fits().items():
        as_stored = [list(key[0]), list(key[1]), list(key[2]), key[3], key[4]]
        key_hash = _hash(as_stored)
        if key_hash in stored:
            continue
        try:
            with s.begin_nested():
                s.add(BlockFit(key_hash=key_hash, key=as_stored, slope=float(slope),
                               thresholds=[float(t) for t in thresholds]))
            kept += 1
        except IntegrityError:
            pass
    return kept


def fit_live_bank(db, blueprint=None) -> int:
    """Fit the live bank's blocks as the testing service assembles them and keep the fits
    (after the bank changes); returns how many new fits were kept."""
    from assessment.selection import Blueprint

    from .assembly import adaptive_kind, assemble
    from .repository import ItemRepository

    with db.session() as s:
        load(s)
        # the items the testing service serves (services.testing.bank.servable)
        items = [i for i in ItemRepository(s).live_items() if adaptive_kind(i)
                 and all(role in i.assets for role in i.audio_texts())]
        if items:
            assemble(items, blueprint or Blueprint.load())
        return keep_new(s)
