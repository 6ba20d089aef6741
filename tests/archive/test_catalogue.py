"""The catalogue on SQLite and on the machine's PostgreSQL: migrations, constraints, audit chain."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from archive import audit
from archive.catalogue import AuditEntry, Base, Catalogue


def test_migrations_from_empty_match_the_models(catalogue):
    current, head = catalogue.revision()
    assert current == head
    with catalogue.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    assert diff == []


def test_migrate_is_idempotent(catalogue):
    catalogue.migrate()
    catalogue.migrate()
    assert catalogue.revision()[0] == catalogue.revision()[1]


def _append(cat: Catalogue, n: int) -> None:
    with cat.session() as s:
        for i in range(n):
            audit.append(s, at=datetime.now(UTC), actor="user:lan.nguyen", action="record.view",
                         target_type="record", target_id=f"r{i}", detail={"ghi_chu": "Xem văn bản"})


def test_audit_log_is_append_only(catalogue):
    _append(catalogue, 2)
    for stmt in ("update audit_log set actor = 'x'", "delete from audit_log"):
        with pytest.raises(sa.exc.DBAPIError), catalogue.engine.begin() as conn:
            conn.execute(sa.text(stmt))
    with catalogue.session() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(AuditEntry)).scalar() == 2


def _bypass_triggers(cat: Catalogue, conn) -> None:
    """What an attacker with database access would do before editing the log."""
    if cat.dialect == "sqlite":
        conn.execute(sa.text("drop trigger audit_log_no_update"))
        conn.execute(sa.text("drop trigger audit_log_no_delete"))
    else:
        conn.execute(sa.text("alter table audit_log disable trigger audit_log_append_only"))


@pytest.mark.parametrize("tamper", ["edit", "delete_middle", "delete_last"])
def test_audit_chain_detects_tampering(catalogue, tamper):
    _append(catalogue, 5)
    with catalogue.session() as s:
        assert audit.verify(s).ok
    with catalogue.engine.begin() as conn:
        _bypass_triggers(catalogue, conn)
        if tamper == "edit":
            conn.execute(sa.text("update audit_log set actor = 'user:khac' where id = 3"))
        elif tamper == "delete_middle":
            conn.execute(sa.text("delete from audit_log where id = 3"))
        else:
            conn.execute(sa.text("delete from audit_log where id = 5"))
    with catalogue.session() as s:
        report = audit.verify(s)
    assert not report.ok and report.problems


def test_dates_come_back_timezone_aware(catalogue):
    at = datetime(2025, 3, 5, 8, 30, tzinfo=UTC)
    with catalogue.session() as s:
        entry = audit.append(s, at=at, actor="a", action="x")
        entry_id = entry.id
    with catalogue.session() as s:
        assert s.get(AuditEntry, entry_id).occurred_at == at


def test_every_column_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "catalogue.md").read_text(encoding="utf-8")
    missing = [f"{t.name}.{c.name}" for t in Base.metadata.sorted_tables for c in t.columns
               if f"`{c.name}`" not in doc or f"`{t.name}`" not in doc]
    assert missing == []
