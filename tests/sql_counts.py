"""Count the SQL statements and commits a block of code sends to a database engine.

    with SqlCounter(db.engine) as counted:
        client.get(...)
    counted.statements, counted.commits

Statements are counted at ``before_cursor_execute`` (one per ``execute``/``executemany``
of a cursor, so an INSERT of many rows in one batch counts once); the transaction's own
BEGIN, COMMIT and ROLLBACK are not statements here: ``commits`` counts the commits of a
transaction (``ConnectionEvents.commit``), ``rollbacks`` the rollbacks. Only what the
thread that opened the counter sends is counted (a Flask test client serves its request
in that thread; the embedded queue's jobs run in their own).
"""
from __future__ import annotations

import threading

from sqlalchemy import event
from sqlalchemy.engine import Engine


class SqlCounter:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.thread = threading.get_ident()
        self.sql: list[str] = []
        self.commits = 0
        self.rollbacks = 0

    @property
    def statements(self) -> int:
        return len(self.sql)

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany):
        if threading.get_ident() == self.thread:
            self.sql.append(statement)

    def _on_commit(self, conn):
        if threading.get_ident() == self.thread:
            self.commits += 1

    def _on_rollback(self, conn):
        if threading.get_ident() == self.thread:
            self.rollbacks += 1

    def __enter__(self) -> "SqlCounter":
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        event.listen(self.engine, "commit", self._on_commit)
        event.listen(self.engine, "rollback", self._on_rollback)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on_execute)
        event.remove(self.engine, "commit", self._on_commit)
        event.remove(self.engine, "rollback", self._on_rollback)

    def __repr__(self) -> str:
        return (f"SqlCounter(statements={self.statements}, commits={self.commits}, "
                f"rollbacks={self.rollbacks})")
