"""The Catalogue: engine, sessions and migrations for SQLite (embedded) and PostgreSQL (scale-out).

The engine follows from the URL alone. SQLite runs in WAL mode with ``synchronous=FULL`` and
foreign keys on, so a commit that returned is on disk; PostgreSQL through psycopg 3.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")
AFTER_COMMIT = "luutru.after_commit"
"""``session.info`` key: a list of items a session listener wants handled after the commit (see
``Catalogue.after_commit``)."""


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


class Catalogue:
    """Owns the engine. ``session()`` opens a transaction that commits on success."""

    def __init__(self, url: str, *, echo: bool = False):
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if url.startswith("sqlite"):
            path = url.split("sqlite:///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine = sa.create_engine(url, **kwargs)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.after_commit: list[Callable[[list[Any]], None]] = []
        """Called with the items sessions put in ``info[AFTER_COMMIT]`` once they committed and the
        thread's outermost session is closed (a nested session's work waits for the outer one, so a
        hook that writes never waits on a lock its own thread holds)."""
        self._local = threading.local()

    @property
    def sessionmaker(self) -> sessionmaker[Session]:
        """The factory of this catalogue's sessions (for session event listeners)."""
        return self._sessions

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def _alembic_config(self) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        return cfg

    def migrate(self) -> None:
        """Bring the schema to the newest revision (from empty, or from any earlier revision)."""
        cfg = self._alembic_config()
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                # Several processes (api, worker, beat) may start at once: migrate one at a time.
                conn.execute(sa.text("select pg_advisory_xact_lock(7314023)"))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def revision(self) -> tuple[str | None, str | None]:
        """(current revision of the database, newest revision shipped)."""
        head = ScriptDirectory.from_config(self._alembic_config()).get_current_head()
        with self.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        return current, head

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: commits when the block ends normally, rolls back on any exception."""
        local = self._local
        depth = getattr(local, "depth", 0)
        local.depth = depth + 1
        try:
            with self._sessions() as session:
                with session.begin():
                    yield session
                done = session.info.pop(AFTER_COMMIT, None)
                if done:
                    local.pending = [*getattr(local, "pending", []), *done]
        finally:
            local.depth = depth
        if depth == 0 and getattr(local, "pending", None):
            pending, local.pending = local.pending, []
            for hook in self.after_commit:
                hook(pending)

    def ping(self) -> str:
        with self.engine.connect() as conn:
            version = conn.execute(sa.text(
                "select sqlite_version()" if self.dialect == "sqlite" else "show server_version")).scalar()
        return f"{self.dialect} {version}"

    def dispose(self) -> None:
        self.engine.dispose()
