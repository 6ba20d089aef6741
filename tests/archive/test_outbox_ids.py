"""Two passes over the outbox at once (an upload's and the periodic loop's on the embedded
default) on SQLite and PostgreSQL: the slower pass deletes the ids it read, so an id must never
name a newer entry. SQLite reused the largest deleted rowid, and a webhook delivery's task queued
in between was deleted unsent (CI: ``test_the_embedded_api_retries_without_any_other_activity``)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from archive import outbox
from archive.catalogue import Catalogue
from archive.catalogue.models import OutboxEntry


def _entries(catalogue) -> list[tuple[int, str]]:
    with catalogue.session() as s:
        return [(e.id, e.kind) for e in s.execute(sa.select(OutboxEntry).order_by(OutboxEntry.id)).scalars()]


def test_a_stale_pass_never_deletes_an_entry_queued_after_it_read(archive_service, catalogue, fs_store,
                                                                  monkeypatch):
    """GIVEN a pass that read one index entry WHEN, before it executes it, another process's pass
    executes and deletes that entry and a task is queued THEN the stale pass runs the entry again
    (idempotent) and deletes only it: the task stays for the next pass."""
    from archive.service import ArchiveService

    other_process = ArchiveService(catalogue, fs_store)  # its own claims, as in another process
    with catalogue.session() as s:
        s.add(OutboxEntry(kind="index", payload={"record_ids": []}))
    (index_id, _), = _entries(catalogue)
    real, queued = outbox.execute, []

    def execute(archive, kind, payload):
        if not queued:  # the other process overtakes this pass: runs everything, then a task is queued
            queued.append(None)
            assert outbox.run(other_process, None, include_deferred=True) == (1, 0)
            with catalogue.session() as s:
                queued[0] = archive.add_tasks(s, [("deliver_webhook", {"delivery_id": "d1"})])[0]
        return real(archive, kind, payload)

    monkeypatch.setattr(outbox, "execute", execute)
    assert outbox.run(archive_service, None) == (1, 0)  # the stale pass (tasks deferred or not: not read)
    assert queued[0] != index_id
    assert _entries(catalogue) == [(queued[0], "task")]


def test_two_passes_of_one_process_never_run_a_task_twice(catalogue, fs_store):
    """GIVEN a deferred task that takes a while (an OCR, a webhook POST) WHEN the request's pass and
    the periodic loop's pass of one process run at once THEN the task runs once, and a pass that
    read it before it was done and deleted does not run it again afterwards."""
    import threading

    from archive.ports import InlineDispatcher
    from archive.service import ArchiveService

    dispatcher = InlineDispatcher(deferred=True)
    service = ArchiveService(catalogue, fs_store, dispatcher=dispatcher)
    started, release, runs = threading.Event(), threading.Event(), []

    def slow(n):
        runs.append(n)
        started.set()
        assert release.wait(30)

    dispatcher.register("slow", slow)
    with catalogue.session() as s:
        service.add_tasks(s, [("slow", {"n": 1})])
    first = threading.Thread(target=service.run_pending_tasks)
    first.start()
    assert started.wait(30)
    assert service.run_pending_tasks() == (0, 0)  # the other pass skips the claimed entry
    release.set()
    first.join(30)
    assert runs == [1] and _entries(catalogue) == []

    # a pass that read the task before the other pass ran it and deleted it
    runs.clear()
    with catalogue.session() as s:
        s.add(OutboxEntry(kind="index", payload={"record_ids": []}))
        service.add_tasks(s, [("slow", {"n": 2})])
    real, overtaken = outbox.execute, []

    def execute(archive, kind, payload):
        if kind == "index" and not overtaken:  # while this pass is at the index entry
            overtaken.append(True)
            other = threading.Thread(target=service.run_pending_tasks)  # runs the task, deletes it
            other.start()
            other.join(30)
        return real(archive, kind, payload)

    outbox.execute = execute
    try:
        assert service.run_pending_tasks() == (1, 0)  # the index entry; the task was gone when reached
    finally:
        outbox.execute = real
    assert runs == [2] and _entries(catalogue) == []


def test_ids_of_deleted_entries_never_come_back(catalogue):
    for _ in range(3):
        with catalogue.session() as s:
            s.add(OutboxEntry(kind="index", payload={"record_ids": []}))
        with catalogue.session() as s:
            seen = s.execute(sa.select(OutboxEntry.id)).scalar_one()
            s.execute(sa.delete(OutboxEntry))
        with catalogue.session() as s:
            s.add(OutboxEntry(kind="index", payload={"record_ids": []}))
        with catalogue.session() as s:
            assert s.execute(sa.select(OutboxEntry.id)).scalar_one() > seen
            s.execute(sa.delete(OutboxEntry))


def test_migration_0013_keeps_pending_entries_and_stops_reuse(tmp_path):
    """An SQLite catalogue made before 0013 with a pending entry: after the migration the entry is
    still there, and the id of a deleted last entry is not given again."""
    cat = Catalogue(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        cfg = cat._alembic_config()
        with cat.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0012")
        with cat.engine.begin() as conn:
            conn.execute(sa.text("insert into outbox (kind, payload, created_at, attempts) values "
                                 "('index', '{\"record_ids\": [\"r1\"]}', '2026-12-07 08:00:00', 0), "
                                 "('task', '{\"task\": \"t\"}', '2026-12-07 08:00:01', 2)"))
        cat.migrate()
        with cat.engine.connect() as conn:
            ddl = conn.execute(sa.text("select sql from sqlite_master where name = 'outbox'")).scalar_one()
            assert "AUTOINCREMENT" in ddl.upper()
            assert conn.execute(sa.text("select id, kind, attempts from outbox order by id")).all() == [
                (1, "index", 0), (2, "task", 2)]
        with cat.engine.begin() as conn:
            conn.execute(sa.text("delete from outbox where id = 2"))
            conn.execute(sa.text("insert into outbox (kind, payload, created_at, attempts) values "
                                 "('index', '{}', '2026-12-07 08:00:02', 0)"))
            assert conn.execute(sa.text("select max(id) from outbox")).scalar_one() == 3
    finally:
        cat.engine.dispose()
