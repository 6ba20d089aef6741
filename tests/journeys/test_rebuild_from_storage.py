"""A deleted catalogue is rebuilt from the object store alone (issue 19, self-describing storage).

GIVEN an archive where records were ingested, corrected (metadata and access level), filed into a
dossier, given retention decisions and destroyed by a full disposal procedure, WHEN its database
is deleted and ``luutru rebuild --from-storage`` runs on an empty one, THEN every row that describes
the holdings — fonds, dossiers, records, components, events, retention decisions (and the schedules
they name), disposal batches and tombstones, legal holds placed and released — is equal, column by
column, to what it was, and a held record is still held; on SQLite
and PostgreSQL, on the filesystem store and on a real S3 server (versitygw).
"""

from __future__ import annotations

import io
import json
import os
import random
import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from fixtures_s3 import S3Server, _empty_bucket
from served import PASSWORD, run_cli

from api.corrections import correction_service
from api.retention_wiring import retention_services
from api.signature_wiring import verify_log
from api.wiring import build_services
from archive import sidecars
from archive.catalogue.access_tables import AuditAnchor
from archive.catalogue.models import AuditEntry, Base, OutboxEntry
from archive.domain import RecordMetadata
from archive.settings import load_settings
from kit.corpus.generator import generate_pdf, random_doc_spec

ORGAN = "000.00.00.H26"
COMPARED = (*sidecars.TABLES, "retention_holds", "registers")
DERIVED = {"dossiers": {"due_state"}}
"""Columns set in bulk by the retention sweep (recomputed by the next sweep; see docs/architecture.md)."""


def _pdf(seed: int, subject: str) -> bytes:
    spec = random_doc_spec(random.Random(seed), doc_type="Công văn", marks=False, pages=1)
    spec.subject = subject
    return generate_pdf(spec)


def _items(services):
    from retention import schedules

    with services.catalogue.session() as s:
        return [(i.code, str(i.period), str(i.action)) for i in schedules.load_schedule(s, "vn-sample").items]


def build_history(services) -> dict:
    """Ingest, correct, file, decide retention, destroy: every write path of a record's life."""
    archive = services.archive
    for name, role in (("luutruvien", "archivist"), ("chanhvanphong", "archivist"), ("hoidong1", "council"),
                       ("hoidong2", "council"), ("hoidong3", "council")):
        services.accounts.create_user(name, full_name=name, role=role, password=PASSWORD, actor="test",
                                      access_levels=["public", "internal", "restricted", "secret"])
    archive.ensure_fonds(ORGAN, "Ủy ban nhân dân tỉnh Hà Nam", place="Hà Nam")
    old = archive.create_dossier(organ_id=ORGAN, year=2010, notation="01.VP", title="Công văn năm 2010",
                                 end_date=date(2010, 12, 31))
    new = archive.create_dossier(organ_id=ORGAN, year=2026, notation="02.TH", title="Tổng hợp năm 2026")

    def record(n: int, dossier=None, **meta):
        return archive.create_record(io.BytesIO(_pdf(n, f"Về việc số {n}")), filename=f"{n}.pdf", actor="user:luutruvien",
                                     dossier_id=dossier, media_type="application/pdf",
                                     metadata=RecordMetadata(type_name="Công văn", subject=f"Về việc số {n}", **meta)
                                     ).record_id

    doomed = [record(1, old), record(2, old)]
    loose = [record(n, code_number=str(n), code_notation="QĐ-UBND", issued_date=date(2026, 1, 5)) for n in (3, 4, 5, 6)]
    corrections = correction_service(services)
    corrections.edit(loose[0], {"subject": "Về việc cấp phép khai thác khoáng sản (đính chính)"},
                     reason="Sai trích yếu", actor="user:luutruvien")
    corrections.edit(loose[1], {"access_level": "restricted"}, reason="Hạn chế tiếp cận", actor="user:luutruvien")
    services.dossiers.file([loose[2]], new, reason="Lập hồ sơ", actor="user:luutruvien")
    retention, disposal = retention_services(services)
    item = next(i for i in _items(services) if i[1:] == ("10", "review_destroy"))
    retention.assign_manual("dossier", old, schedule_code="vn-sample", item_code=item[0], reason="10 năm",
                            actor="user:luutruvien")
    retention.sweep(date(2026, 1, 1), actor="user:luutruvien")
    batch = disposal.propose(title="Đợt hủy 2026", explanation="Hết thời hạn", actor="user:luutruvien",
                             council=["hoidong1", "hoidong2", "hoidong3"])["batch_id"]
    for m in ("user:hoidong1", "user:hoidong2", "user:hoidong3"):
        disposal.vote(batch, member=m, vote="approve")
    disposal.close_review(batch, minutes_record_id=loose[3], actor="user:luutruvien")
    disposal.approve(batch, decision_record_id=loose[0], actor="user:chanhvanphong")
    result = disposal.destroy(batch, actor="user:chanhvanphong")
    assert sorted(result["destroyed"]) == sorted(doomed)
    held = retention.place_hold(authority="Cơ quan Cảnh sát điều tra Công an tỉnh Hà Nam",
                                reason="Phục vụ điều tra vụ án", scope_type="records", scope={"ids": [loose[2]]},
                                actor="user:luutruvien")
    lifted = retention.place_hold(authority="Thanh tra tỉnh", reason="Thanh tra đất đai", scope_type="dossiers",
                                  scope={"ids": [new]}, actor="user:luutruvien")
    retention.release_hold(lifted, reason="Kết thúc thanh tra", actor="user:chanhvanphong")
    archive.run_pending_tasks()
    return {"doomed": doomed, "loose": loose, "held": held, "lifted": lifted}


def rows(catalogue) -> dict[str, dict]:
    """Every compared table as {primary key: {column: value}} (Python values: JSON parsed)."""
    out = {}
    with catalogue.session() as s:
        for name in COMPARED:
            table = Base.metadata.tables[name]
            skip = DERIVED.get(name, set())
            out[name] = {tuple(r[c.name] for c in table.primary_key.columns):
                         {k: v for k, v in r.items() if k not in skip}
                         for r in s.execute(sa.select(table)).mappings()}
    return out


def audit_log(catalogue) -> tuple[list[dict], list[tuple]]:
    """The audit entries (every column) and the anchors (id, last entry, hash, token), in order."""
    with catalogue.session() as s:
        entries = [dict(r._mapping) for r in s.execute(sa.select(AuditEntry.__table__).order_by(AuditEntry.id))]
        anchors = [tuple(r) for r in s.execute(sa.select(AuditAnchor.id, AuditAnchor.last_id, AuditAnchor.last_hash,
                                                         AuditAnchor.token).order_by(AuditAnchor.id))]
    return entries, anchors


def assert_same(before: dict, after: dict) -> None:
    for name in COMPARED:
        assert set(after[name]) == set(before[name]), f"{name}: rows differ"
        for key, row in before[name].items():
            diff = [(k, v, after[name][key][k]) for k, v in row.items() if after[name][key][k] != v]
            assert after[name][key] == row, f"{name} {key}: {diff}"


@pytest.fixture(params=["filesystem", pytest.param("s3", marks=[pytest.mark.s3, pytest.mark.s3_server])])
def store_env(request, tmp_path):
    if request.param == "filesystem":
        yield {}
        return
    endpoint = os.environ.get("LUUTRU_TEST_S3_ENDPOINT")
    if not endpoint:
        from services import service_unavailable

        service_unavailable("the S3 server", "LUUTRU_TEST_S3_ENDPOINT is not set (tests/servers/start)")
    access, secret = os.environ.get("LUUTRU_TEST_S3_ACCESS_KEY", ""), os.environ.get("LUUTRU_TEST_S3_SECRET_KEY", "")
    bucket = f"luutru-rebuild-{uuid.uuid4().hex[:10]}"
    yield {"LUUTRU_OBJECTS__BACKEND": "s3", "LUUTRU_OBJECTS__S3__ENDPOINT": endpoint,
           "LUUTRU_OBJECTS__S3__ACCESS_KEY": access, "LUUTRU_OBJECTS__S3__SECRET_KEY": secret,
           "LUUTRU_OBJECTS__S3__BUCKET": bucket, "LUUTRU_OBJECTS__S3__SECURE": "false",
           "LUUTRU_OBJECTS__S3__REGION": "us-east-1", "LUUTRU_OBJECTS__S3__RETENTION_MODE": "GOVERNANCE"}
    _empty_bucket(S3Server("s3", endpoint, access, secret), bucket)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_env(request, tmp_path):
    if request.param == "sqlite":
        return {}
    return {"LUUTRU_DB__URL": request.getfixturevalue("postgres_url")}


def _drop_everything(url: str | None, data_dir) -> None:
    """Delete the catalogue: the SQLite file, or every table of the PostgreSQL schema."""
    if url is None:
        for suffix in ("", "-wal", "-shm"):
            (data_dir / f"catalogue.db{suffix}").unlink(missing_ok=True)
        return
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        schema = conn.execute(sa.text("select current_schema()")).scalar()
        conn.execute(sa.text(f'drop schema "{schema}" cascade'))
        conn.execute(sa.text(f'create schema "{schema}"'))
    engine.dispose()


def test_a_deleted_catalogue_is_rebuilt_from_storage(tmp_path, db_env, store_env):
    env = {"LUUTRU_DATA_DIR": str(tmp_path / "data"), **db_env, **store_env}
    services = build_services(load_settings(env))
    try:
        history = build_history(services)
        with services.catalogue.session() as s:
            assert not s.execute(sa.select(OutboxEntry).where(OutboxEntry.kind == "sidecar")).first()
        before = rows(services.catalogue)
        anchored = services.archive.anchor_audit()  # the hourly anchor: publishes the entries it covers
        assert anchored is not None
        log_before = audit_log(services.catalogue)
    finally:
        services.close()
    # six records, the minutes and the list of destroyed records; two tombstones
    assert len(before["destruction_log"]) == 2 and len(before["records"]) == 6 + 2

    _drop_everything(db_env.get("LUUTRU_DB__URL"), tmp_path / "data")
    done = run_cli(env, "rebuild", "--from-storage", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    rebuilt = json.loads(done.stdout)
    assert rebuilt["records"] == len(before["records"])
    assert (rebuilt["audit_log"], rebuilt["audit_anchors"], rebuilt["audit_not_restored"]) == (anchored["last_id"], 1, [])
    services = build_services(load_settings(env))
    try:
        after = rows(services.catalogue)
        rec = {k[0]: v for k, v in after["records"].items()}
        assert all(rec[r]["status"] == "disposed" for r in history["doomed"])
        assert rec[history["loose"][1]]["access_level"] == "restricted"
        retention, _ = retention_services(services)
        assert retention.held_records(history["loose"]) == {history["loose"][2]: [history["held"]]}
        # the audit log: every anchored entry as it was (who destroyed what, under which decision), the
        # rebuild's own entry after them, the chain and the anchors valid against the store
        entries, anchors = audit_log(services.catalogue)
        assert entries[:anchored["last_id"]] == log_before[0][:anchored["last_id"]] and anchors == log_before[1]
        assert entries[anchored["last_id"]]["action"] == "archive.rebuild"
        assert any(e["action"] == "disposal.destroyed" for e in entries[:anchored["last_id"]])
        report = verify_log(services)
        assert report["ok"], report["problems"]
        assert services.archive.anchor_audit()["id"] == 2  # and the log goes on: anchor 2 is published
        report = verify_log(services)
        assert report["ok"] and report["published"] == report["segments"] == 2, report
    finally:
        services.close()
    assert_same(before, after)

    again = run_cli(env, "rebuild", "--from-storage")
    assert again.returncode == 1  # never into a catalogue that holds records
    if not db_env and not store_env:  # and the index follows (once is enough: the indexer is not under test)
        assert run_cli(env, "reindex").returncode == 0
        found = run_cli(env, "search", "khoáng sản", "--json")
        assert history["loose"][0] in {h["record_id"] for h in json.loads(found.stdout)["hits"]}


def test_a_crash_before_the_sidecar_is_written_is_repaired(tmp_path, monkeypatch):
    """GIVEN a correction whose sidecar write fails after the commit (a crash stand-in), THEN the
    outbox keeps the work and the next repair pass writes the sidecar with the corrected subject."""
    env = {"LUUTRU_DATA_DIR": str(tmp_path / "data")}
    services = build_services(load_settings(env))
    try:
        archive = services.archive
        rid = archive.create_record(io.BytesIO(_pdf(1, "Về việc một")), filename="1.pdf", actor="test",
                                    metadata=RecordMetadata(subject="Về việc một")).record_id
        seq, doc = archive.sidecars.latest(rid)
        assert seq >= 1 and doc["tables"]["records"][0]["subject"] == "Về việc một"
        real = sidecars.SidecarWriter.write
        monkeypatch.setattr(sidecars.SidecarWriter, "write", lambda self, ids: (_ for _ in ()).throw(OSError("crash")))
        correction_service(services).edit(rid, {"subject": "Về việc hai"}, reason="Sai", actor="test")
        assert archive.sidecars.latest(rid)[1]["tables"]["records"][0]["subject"] == "Về việc một"
        with services.catalogue.session() as s:
            assert s.execute(sa.select(OutboxEntry).where(OutboxEntry.kind == "sidecar")).first()
        monkeypatch.setattr(sidecars.SidecarWriter, "write", real)
        archive.repair(actor="test")
        latest_seq, latest = archive.sidecars.latest(rid)
        assert latest_seq > seq and latest["tables"]["records"][0]["subject"] == "Về việc hai"
    finally:
        services.close()


def test_backfill_writes_what_an_older_archive_lacks(tmp_path):
    env = {"LUUTRU_DATA_DIR": str(tmp_path / "data")}
    services = build_services(load_settings(env))
    try:
        ids = [services.archive.create_record(io.BytesIO(_pdf(n, f"Về việc {n}")), filename=f"{n}.pdf", actor="test",
                                              metadata=RecordMetadata(subject=f"Về việc {n}")).record_id
               for n in range(3)]
    finally:
        services.close()
    import shutil

    shutil.rmtree(tmp_path / "data" / "objects" / "named" / "records")  # as before sidecars existed
    done = run_cli(env, "backfill-sidecars", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"records": 3, "written": 3, "holds": 0, "holds_written": 0}
    assert json.loads(run_cli(env, "backfill-sidecars", "--json").stdout) == {"records": 0, "written": 0, "holds": 0,
                                                                             "holds_written": 0}
    names = sorted((tmp_path / "data" / "objects" / "named" / "records").iterdir())
    assert sorted(p.name for p in names) == sorted(ids)
