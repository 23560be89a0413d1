"""`taitotaso staff add`: staff accounts."""
from __future__ import annotations

import json
import sys

from .common import _database, _err


def cmd_staff_add(args) -> int:
    from services.common.accounts import AccountError, add_staff

    _cfg, db = _database()
    try:
        roles = [r for arg in args.role for r in arg.split(",")]
        staff, generated = add_staff(db, args.email, args.name, roles, args.password)
    except AccountError as err:
        return _err(str(err))
    print(json.dumps({"id": staff.id, "email": staff.email, "name": staff.name,
                      "roles": list(staff.roles)}))
    if generated:
        print(f"password (shown once): {generated}", file=sys.stderr)
    return 0
