"""Audit anchors on SQLite and on the machine's PostgreSQL: an RFC 3161 token over the log's head
detects what the hash chain alone cannot — a rewrite of the whole chain after an edit or a deletion
by someone with raw database access."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from archive import audit
from archive.catalogue import AuditEntry, Catalogue
from archive.catalogue.access_tables import AuditAnchor
from archive.catalogue.models import AuditHead
from archive.timestamping import ArchiveTsaFiles, LocalTimeStamper, ensure_archive_tsa


@pytest.fixture(scope="module")
def tsa(tmp_path_factory) -> tuple[LocalTimeStamper, list]:
    """The archive's own TSA (real RSA keys, real tokens), created once for the module."""
    keys = tmp_path_factory.mktemp("keys")
    files: ArchiveTsaFiles = ensure_archive_tsa(keys)
    return LocalTimeStamper.from_dir(keys), [files.root_cert()]


def _append(cat: Catalogue, n: int, start: int = 0) -> None:
    with cat.session() as s:
        for i in range(start, start + n):
            audit.append(s, at=datetime.now(UTC), actor="user:lan.nguyen", action="record.view",
                         target_type="record", target_id=f"r{i}", detail={"ghi_chu": "Xem văn bản"})


def _anchor(cat: Catalogue, stamper) -> AuditAnchor | None:
    with cat.session() as s:
        row = audit.anchor(s, stamper, at=datetime.now(UTC))
        return None if row is None else (row.id, row.last_id)


def _verify(cat: Catalogue, roots, **kw) -> audit.ChainReport:
    with cat.session() as s:
        return audit.verify(s, trust_roots=roots, **kw)


def _bypass_triggers(cat: Catalogue, conn) -> None:
    """What someone with raw database access would do before touching the log or its anchors."""
    if cat.dialect == "sqlite":
        for table in ("audit_log", "audit_anchors"):
            conn.execute(sa.text(f"drop trigger if exists {table}_no_update"))
            conn.execute(sa.text(f"drop trigger if exists {table}_no_delete"))
    else:
        conn.execute(sa.text("alter table audit_log disable trigger audit_log_append_only"))
        conn.execute(sa.text("alter table audit_anchors disable trigger audit_anchors_append_only"))


def _restore_triggers(cat: Catalogue, conn) -> None:
    """What a careful attacker does afterwards, so that the triggers' absence does not give them away."""
    if cat.dialect == "sqlite":
        for table in ("audit_log", "audit_anchors"):
            for verb in ("UPDATE", "DELETE"):
                conn.execute(sa.text(f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                                     f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"))
    else:
        conn.execute(sa.text("alter table audit_log enable trigger audit_log_append_only"))
        conn.execute(sa.text("alter table audit_anchors enable trigger audit_anchors_append_only"))


def _rewrite_chain(cat: Catalogue, change) -> None:
    """Apply ``change`` to the entries (a list of dicts) and recompute every id and hash and the
    head, exactly as a careful attacker would: afterwards the chain alone verifies."""
    table = AuditEntry.__table__
    with cat.engine.begin() as conn:
        _bypass_triggers(cat, conn)
        rows = [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(table.c.id))]
        rows = change(rows)
        conn.execute(sa.delete(table))
        prev = audit.GENESIS
        for new_id, row in enumerate(rows, start=1):
            row["id"], row["prev_hash"] = new_id, prev
            row["entry_hash"] = audit.entry_hash(
                prev, id=new_id, occurred_at=row["occurred_at"], actor=row["actor"], client=row["client"],
                address=row["address"], action=row["action"], target_type=row["target_type"],
                target_id=row["target_id"], outcome=row["outcome"], detail=row["detail"])
            conn.execute(sa.insert(table).values(**row))
            prev = row["entry_hash"]
        conn.execute(sa.update(AuditHead.__table__).where(AuditHead.__table__.c.id == 1)
                     .values(last_id=len(rows), last_hash=prev))
        _restore_triggers(cat, conn)


def test_anchored_chain_verifies_and_anchors_only_when_the_head_moved(catalogue, tsa):
    """GIVEN an audit log WHEN its head is anchored THEN chain and anchor verify; anchoring again
    without new entries does nothing; after new entries a second anchor covers the new head."""
    stamper, roots = tsa
    with catalogue.session() as s:
        assert audit.anchor(s, stamper, at=datetime.now(UTC)) is None  # empty log: nothing to anchor
    _append(catalogue, 5)
    assert _anchor(catalogue, stamper) == (1, 5)
    assert _anchor(catalogue, stamper) is None
    _append(catalogue, 2, start=5)
    assert _anchor(catalogue, stamper) == (2, 7)
    report = _verify(catalogue, roots)
    assert report.ok, report.problems
    assert (report.entries, report.anchors) == (7, 2)
    assert report.last_anchor["last_id"] == 7 and report.last_anchor["gen_time"]


@pytest.mark.parametrize("tamper", ["edit", "delete"])
def test_raw_edit_or_delete_is_detected(catalogue, tsa, tamper):
    """GIVEN an anchored log WHEN a DBA edits or deletes an entry without fixing the hashes THEN
    verify reports it."""
    stamper, roots = tsa
    _append(catalogue, 5)
    _anchor(catalogue, stamper)
    with catalogue.engine.begin() as conn:
        _bypass_triggers(catalogue, conn)
        if tamper == "edit":
            conn.execute(sa.text("update audit_log set actor = 'user:khac' where id = 3"))
        else:
            conn.execute(sa.text("delete from audit_log where id = 3"))
    report = _verify(catalogue, roots)
    assert not report.ok
    assert any("entry 3" in p or "entries 3" in p for p in report.problems), report.problems


@pytest.mark.parametrize("tamper", ["edit", "delete"])
def test_full_rewrite_after_tampering_is_detected_by_the_anchor(catalogue, tsa, tamper):
    """GIVEN an anchored log WHEN an entry is edited (or deleted) and every later hash, id and the
    head are recomputed THEN the chain alone verifies, but the anchor shows the rewrite."""
    stamper, roots = tsa
    _append(catalogue, 6)
    _anchor(catalogue, stamper)
    _append(catalogue, 2, start=6)

    def change(rows):
        if tamper == "edit":
            rows[2]["actor"] = "user:nguoi-khac"
            return rows
        return rows[:2] + rows[3:]

    _rewrite_chain(catalogue, change)
    assert _verify(catalogue, roots, anchors=False).ok  # the chain alone is fooled
    report = _verify(catalogue, roots)
    assert not report.ok
    assert any("anchor 1" in p and ("rewritten" in p or "missing" in p) for p in report.problems), report.problems


def test_forging_the_anchor_row_too_is_detected(catalogue, tsa):
    """GIVEN a rewritten chain WHEN the attacker also writes the new hash into the anchor row THEN
    the TSA's token no longer matches (its imprint is the old hash)."""
    stamper, roots = tsa
    _append(catalogue, 4)
    _anchor(catalogue, stamper)
    _rewrite_chain(catalogue, lambda rows: [{**rows[0], "action": "record.download"}, *rows[1:]])
    with catalogue.session() as s:
        new_hash = s.get(AuditEntry, 4).entry_hash
    with catalogue.engine.begin() as conn:
        _bypass_triggers(catalogue, conn)
        conn.execute(sa.update(AuditAnchor.__table__).where(AuditAnchor.__table__.c.id == 1)
                     .values(last_hash=new_hash))
    report = _verify(catalogue, roots)
    assert not report.ok
    assert any("anchor 1" in p and "token" in p for p in report.problems), report.problems


def test_deleting_an_anchor_leaves_a_gap(catalogue, tsa):
    """GIVEN three anchors WHEN the middle one is deleted THEN verify reports the missing anchor."""
    stamper, roots = tsa
    for i in range(3):
        _append(catalogue, 1, start=i)
        _anchor(catalogue, stamper)
    with catalogue.engine.begin() as conn:
        _bypass_triggers(catalogue, conn)
        conn.execute(sa.delete(AuditAnchor.__table__).where(AuditAnchor.__table__.c.id == 2))
    report = _verify(catalogue, roots)
    assert not report.ok and any("anchors 2–2 are missing" in p for p in report.problems), report.problems


def test_a_token_from_an_untrusted_tsa_is_reported(catalogue, tsa, tmp_path):
    """GIVEN an anchor signed by another TSA WHEN verified against the archive's TSA root THEN it is
    refused: a forger cannot mint their own anchors."""
    _, roots = tsa
    other_keys = tmp_path / "other"
    ensure_archive_tsa(other_keys, organisation="Ke Gia Mao")
    _append(catalogue, 2)
    _anchor(catalogue, LocalTimeStamper.from_dir(other_keys))
    report = _verify(catalogue, roots)
    assert not report.ok and any("trusted root" in p for p in report.problems), report.problems


# outside the database: published anchors, the oldest anchor, the triggers (issue 13, defect 10) -----
def _anchored_log(catalogue, stamper, store, rounds: int = 3) -> None:
    """A log anchored ``rounds`` times, each anchor published in ``store`` as the service does."""
    for i in range(rounds):
        _append(catalogue, 2, start=2 * i)
        _anchor(catalogue, stamper)
        with catalogue.session() as s:
            audit.publish_missing(s, store)


def test_anchors_are_published_once_and_verify_with_the_store(catalogue, tsa, fs_store):
    stamper, roots = tsa
    _anchored_log(catalogue, stamper, fs_store)
    assert list(fs_store.list_named(audit.ANCHORS_PREFIX)) == [audit.anchor_name(i) for i in (1, 2, 3)]
    with catalogue.session() as s:
        assert audit.publish_missing(s, fs_store) == 0  # idempotent
        report = audit.verify(s, trust_roots=roots, store=fs_store)
    assert report.ok, report.problems
    assert (report.anchors, report.published, report.unpublished) == (3, 3, [])


def test_deleting_every_anchor_and_rewriting_the_chain_is_detected(catalogue, tsa, fs_store):
    """GIVEN a published, anchored log WHEN a DBA deletes every anchor row and rewrites the chain
    after editing an entry THEN the database alone verifies — and the published anchors do not."""
    stamper, roots = tsa
    _anchored_log(catalogue, stamper, fs_store)

    def change(rows):
        rows[1]["actor"] = "user:nguoi-khac"
        return rows

    _rewrite_chain(catalogue, change)
    with catalogue.engine.begin() as conn:
        _bypass_triggers(catalogue, conn)
        conn.execute(sa.delete(AuditAnchor.__table__))
        _restore_triggers(catalogue, conn)
    assert _verify(catalogue, roots).ok  # without the store: fooled
    with catalogue.session() as s:
        report = audit.verify(s, trust_roots=roots, store=fs_store)
    assert not report.ok
    assert any("anchor 1 (published) is missing from the database" in p for p in report.problems), report.problems
    assert any("published anchor 1: entry 2 no longer has the hash" in p for p in report.problems), report.problems


def test_deleting_the_oldest_anchor_is_detected(catalogue, tsa):
    stamper, roots = tsa
    for i in range(3):
        _append(catalogue, 1, start=i)
        _anchor(catalogue, stamper)
    with catalogue.engine.begin() as conn:
        _bypass_triggers(catalogue, conn)
        conn.execute(sa.delete(AuditAnchor.__table__).where(AuditAnchor.__table__.c.id == 1))
    report = _verify(catalogue, roots)
    assert not report.ok and any("anchors 1–1 are missing" in p for p in report.problems), report.problems


def test_dropped_or_disabled_triggers_are_reported(catalogue, tsa):
    stamper, roots = tsa
    _append(catalogue, 2)
    _anchor(catalogue, stamper)
    assert _verify(catalogue, roots).ok
    with catalogue.engine.begin() as conn:
        if catalogue.dialect == "sqlite":
            conn.execute(sa.text("drop trigger audit_log_no_delete"))
        else:
            conn.execute(sa.text("alter table audit_log disable trigger audit_log_append_only"))
    report = _verify(catalogue, roots)
    assert not report.ok and any("append-only trigger audit_log." in p for p in report.problems), report.problems


def test_anchors_table_refuses_updates_and_deletes(catalogue, tsa):
    stamper, _ = tsa
    _append(catalogue, 2)
    _anchor(catalogue, stamper)
    for statement in (sa.update(AuditAnchor.__table__).values(last_hash="0" * 64), sa.delete(AuditAnchor.__table__)):
        with pytest.raises(sa.exc.DatabaseError), catalogue.engine.begin() as conn:
            conn.execute(statement)


def test_a_rewritten_anchor_is_not_published_over_its_copy(catalogue, tsa, fs_store):
    stamper, _ = tsa
    _anchored_log(catalogue, stamper, fs_store, rounds=1)
    with catalogue.session() as s:
        row = s.get(AuditAnchor, 1)
        s.expunge(row)
    row.last_hash = "f" * 64
    with pytest.raises(ValueError, match="differs from its published copy"):
        audit.publish(fs_store, row)


# the log back from the store after the catalogue is lost (luutru rebuild --from-storage) --------
def _log(catalogue) -> tuple[list[dict], list[tuple]]:
    with catalogue.session() as s:
        entries = [dict(r._mapping) for r in s.execute(sa.select(AuditEntry.__table__).order_by(AuditEntry.id))]
        anchors = [tuple(r) for r in s.execute(sa.select(AuditAnchor.id, AuditAnchor.last_id, AuditAnchor.last_hash,
                                                         AuditAnchor.token, AuditAnchor.tsa).order_by(AuditAnchor.id))]
    return entries, anchors


def _lose_the_log(catalogue) -> None:
    """The catalogue's log as a new, empty database has it (the rest of the catalogue is not needed)."""
    with catalogue.engine.begin() as conn:
        _bypass_triggers(catalogue, conn)
        conn.execute(sa.delete(AuditEntry.__table__))
        conn.execute(sa.delete(AuditAnchor.__table__))
        conn.execute(sa.update(AuditHead.__table__).values(last_id=0, last_hash=audit.GENESIS))
        _restore_triggers(catalogue, conn)


def test_a_lost_log_comes_back_from_the_store_up_to_its_newest_anchor(catalogue, tsa, fs_store):
    """GIVEN a log anchored three times, each anchor published, and two entries after the last
    anchor WHEN the catalogue's log is lost and restored from the store THEN every anchored entry and
    every anchor is back as it was, the log verifies against the store, and it goes on: the next
    anchor is published as number 4 (before, a rebuilt catalogue's first anchor was number 1 again,
    could never be published over the old one, and ``verify`` called the log rewritten)."""
    stamper, roots = tsa
    _anchored_log(catalogue, stamper, fs_store)
    _append(catalogue, 2, start=100)  # after the newest anchor: lost with the catalogue
    entries, anchors = _log(catalogue)
    assert len(entries) == 8 and [a[:2] for a in anchors] == [(1, 2), (2, 4), (3, 6)]
    assert list(fs_store.list_named(audit.ENTRIES_PREFIX)) == [audit.segment_name(i) for i in (1, 2, 3)]

    _lose_the_log(catalogue)
    with catalogue.session() as s:
        report = audit.restore(s, fs_store)
    assert (report.entries, report.anchors, report.problems) == (6, 3, [])
    assert _log(catalogue) == (entries[:6], anchors)
    with catalogue.session() as s:
        checked = audit.verify(s, trust_roots=roots, store=fs_store)
    assert checked.ok, checked.problems
    assert (checked.entries, checked.published, checked.segments, checked.unsegmented) == (6, 3, 3, [])

    _append(catalogue, 1, start=200)
    assert _anchor(catalogue, stamper) == (4, 7)
    with catalogue.session() as s:
        assert audit.publish_missing(s, fs_store) == 1
        checked = audit.verify(s, trust_roots=roots, store=fs_store)
    assert checked.ok, checked.problems
    with catalogue.session() as s:  # never into a log that has entries
        assert audit.restore(s, fs_store).problems == ["the catalogue's audit log is not empty: nothing restored"]


def test_a_missing_or_altered_segment_is_reported_and_the_log_goes_on(catalogue, tsa, fs_store):
    """GIVEN published segments WHEN one is deleted and another altered (recomputing its hashes does
    not help: it must end at its anchor's timestamped hash) THEN the restore brings back the others,
    names what it could not, ``verify`` reports the missing entries, and the next anchor is still
    published after the old ones."""
    stamper, roots = tsa
    _anchored_log(catalogue, stamper, fs_store, rounds=4)
    root = fs_store.root / "named"
    (root / audit.segment_name(2)).unlink()
    third = root / audit.segment_name(3)
    lines = third.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["actor"] = "user:nguoi-khac"
    first["entry_hash"] = audit.entry_hash(first["prev_hash"], **{k: first[k] for k in (
        "id", "actor", "client", "address", "action", "target_type", "target_id", "outcome", "detail")},
        occurred_at=datetime.fromisoformat(first["occurred_at"]))
    third.chmod(0o644)
    third.write_text("\n".join([json.dumps(first, ensure_ascii=False), *lines[1:]]) + "\n", encoding="utf-8")

    _lose_the_log(catalogue)
    with catalogue.session() as s:
        report = audit.restore(s, fs_store)
    assert (report.entries, report.anchors) == (4, 4)  # segments 1 and 4: entries 1–2 and 7–8
    assert report.problems == ["entries 3–4 (anchor 2): not published, not restored",
                               "entries 5–6 (anchor 3): the published copy is altered at entry 6, not restored"]
    with catalogue.session() as s:
        checked = audit.verify(s, trust_roots=roots, store=fs_store)
    assert not checked.ok and "entries 3–6 are missing" in checked.problems, checked.problems
    _append(catalogue, 1, start=300)
    assert _anchor(catalogue, stamper) == (5, 9)
    with catalogue.session() as s:
        assert audit.publish_missing(s, fs_store) == 1
    assert audit.anchor_name(5) in set(fs_store.list_named(audit.ANCHORS_PREFIX))


def test_a_segment_whose_previous_anchor_is_not_published_is_named_so(catalogue, tsa, fs_store):
    """GIVEN three published anchors and their segments WHEN the published anchor 2 is lost THEN the
    restore brings back segment 1, says segment 3 cannot be checked because anchor 2 is missing (not
    that it was altered), and the log goes on after anchor 3."""
    stamper, _ = tsa
    _anchored_log(catalogue, stamper, fs_store)
    (fs_store.root / "named" / audit.anchor_name(2)).unlink()
    _lose_the_log(catalogue)
    with catalogue.session() as s:
        report = audit.restore(s, fs_store)
    assert (report.entries, report.anchors) == (2, 2)
    assert report.problems == ["entries 3–6 (anchor 3): anchor 2 before it is not published, not restored"]
    _append(catalogue, 1, start=400)
    assert _anchor(catalogue, stamper) == (4, 7)


def test_a_minutes_number_known_only_to_the_restored_log_still_counts_in_the_register(catalogue, tsa, fs_store):
    """GIVEN the number 07/BB-HTL given to a batch that destroyed nothing (no sidecar names it), its
    ``disposal.minutes_number`` entry anchored WHEN the catalogue is rebuilt (log restored, then the
    registers recomputed) THEN the register's last number of that year is 7, so the next minutes
    are not numbered 07 again."""
    from archive import sidecars
    from archive.catalogue.retention_tables import Register

    stamper, _ = tsa
    with catalogue.session() as s:
        audit.append(s, at=datetime.now(UTC), actor="user:lan.nguyen", action="disposal.minutes_number",
                     target_type="disposal_batch", target_id="b-1",
                     detail={"number": "07/BB-HTL", "register": "BB-HTL", "year": 2026})
    _anchor(catalogue, stamper)
    with catalogue.session() as s:
        audit.publish_missing(s, fs_store)
    _lose_the_log(catalogue)
    with catalogue.session() as s:
        assert audit.restore(s, fs_store).entries == 1
    assert sidecars._restore_registers(catalogue) == 1
    with catalogue.session() as s:
        assert s.get(Register, ("BB-HTL", 2026)).last_number == 7
