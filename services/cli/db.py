"""`taitotaso db` (schema upgrade, seeding the item bank) and `taitotaso library seed`."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from .common import _database, _err, _safe_url


def cmd_db_upgrade(args) -> int:
    cfg, _db = _database()
    print(f"database schema is up to date ({_safe_url(cfg.database_url)})")
    return 0


def seed_library(db, if_empty: bool) -> int:
    """The Katso seed (categories, cards, worldviews, pages) into the database: what it
    lacks is added, what curators have edited stays. With ``if_empty`` only a library
    without any material is seeded."""
    from services.library.content import ContentError, load_seed
    from services.library.repository import LibraryStore

    store = LibraryStore(db)
    if if_empty and not store.is_empty():
        return 0
    try:
        added = store.seed(load_seed())
    except ContentError as err:
        return _err(f"the Katso material is not valid, nothing was seeded: {err}")
    print(json.dumps({"katso_added": added}))
    return 0


def cmd_library_seed(args) -> int:
    _cfg, db = _database()
    return seed_library(db, if_empty=False)


def cmd_db_seed(args) -> int:
    from item_bank.content import load_content
    from item_bank.repository import ItemRepository
    from item_bank.schema import ContentError

    from item_bank.audio import AudioError, synthesise

    cfg, db = _database()
    rc = seed_library(db, if_empty=getattr(args, "if_empty", False))
    if rc:
        return rc
    if getattr(args, "if_empty", False):
        with db.session() as s:
            version = ItemRepository(s).bank_version()
        if version is not None:
            print(json.dumps({"seeded": False, "bank_version": version,
                              "reason": "the bank has items; `taitotaso db seed` syncs the content files"}))
            return 0
    try:
        items = load_content()
    except ContentError as err:
        return _err(f"item content is not valid, nothing was seeded: {err}")
    # recordings are made once per recipe; TAITOTASO_AUDIO_CACHE can share them between installs
    cache = Path(os.environ.get("TAITOTASO_AUDIO_CACHE") or cfg.var_dir / "cache" / "audio")

    def progress(done, total):
        print(f"  seeding items: {done}/{total}", file=sys.stderr, flush=True)

    try:
        with db.session() as s:
            report = ItemRepository(s).seed(items, make_audio=lambda text, cefr: synthesise(text, cefr, cache),
                                            progress=progress, retire_missing=getattr(args, "prune", False))
            version = ItemRepository(s).bank_version()
    except AudioError as err:
        return _err(f"listening audio could not be made, nothing was seeded: {err}")
    from item_bank.block_fits import fit_live_bank

    fits = fit_live_bank(db)   # the testing service takes them instead of fitting them itself
    print(json.dumps({"live_items": len(items), "bank_version": version, **report.as_dict(),
                      "block_fits_made": fits}))
    return 0
