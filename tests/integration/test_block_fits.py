"""The bank's block fits are kept with the bank (item_bank/block_fits.py): the testing
service takes them when it loads the bank and never runs scipy's optimiser for them."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import delete, func, select

from assessment import testlets
from item_bank.block_fits import fit_live_bank
from item_bank.orm import BlockFit
from services.common.db import Database

ROOT = Path(__file__).resolve().parents[2]

LOAD_THE_BANK = """
import json, sys
from pathlib import Path
from services.common.config import Config
from services.testing.app import create_app
cfg = Config.from_env(database_url=sys.argv[1], redis_url=None, var_dir=Path(sys.argv[2]),
                      secret_key="block-fits", scoring_url="http://127.0.0.1:9",
                      scoring_secret="s" * 24)
bank = create_app(cfg).extensions["taitotaso.testing"].bank.get()
print(json.dumps({"blocks": len(bank.pool.blocks), "scipy": "scipy.optimize" in sys.modules}))
"""


def load_in_a_fresh_process(config) -> dict:
    out = subprocess.run([sys.executable, "-c", LOAD_THE_BANK, config.database_url, str(config.var_dir)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def kept(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(BlockFit))


def test_the_testing_service_takes_the_kept_fits_and_never_loads_the_optimiser(config):
    db = Database(config.database_url)
    try:
        fit_live_bank(db)
        assert kept(db) > 0
        loaded = load_in_a_fresh_process(config)
        assert loaded["blocks"] > 0 and loaded["scipy"] is False
        # without them it fits the blocks itself (and keeps what it made for the others)
        with db.session() as s:
            s.execute(delete(BlockFit))
        loaded = load_in_a_fresh_process(config)
        assert loaded["blocks"] > 0 and loaded["scipy"] is True
        assert kept(db) > 0
    finally:
        db.dispose()


def test_a_kept_fit_is_the_fit_itself(config):
    db = Database(config.database_url)
    try:
        fit_live_bank(db)
        with db.session() as s:
            rows = s.scalars(select(BlockFit).limit(5)).all()
            assert rows
            for row in rows:
                a, b, c, sd, floor = row.key
                slope, thresholds = testlets._fit(tuple(a), tuple(b), tuple(c), float(sd), int(floor))
                assert abs(slope - row.slope) < 1e-9
                assert all(abs(x - y) < 1e-9 for x, y in zip(thresholds, row.thresholds))
        assert fit_live_bank(db) == 0   # nothing new: each fit is made once
    finally:
        db.dispose()
