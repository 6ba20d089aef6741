"""The CLI writes while ``luutru serve`` runs: what the CLI reports done is what searchers see.

Regression (issue 13, defect 6): while ``luutru serve`` held the embedded index's writer, a
``luutru retention destroy`` in another terminal destroyed the records, wrote minutes saying their
index data was deleted — and the records stayed searchable, with a snippet, for about 75 s (until a
repair pass retried the index deletion). The same held for a CLI ingest (not findable until a
repair). Here a real server and real CLI processes share one data folder, as on an archive's
machine.
"""

from __future__ import annotations

import io
import json
import random
import time
from datetime import date

import httpx
import pytest
from served import run_cli, serve

from api.retention_wiring import retention_services
from api.wiring import build_services
from archive.domain import RecordMetadata
from archive.settings import load_settings
from kit.corpus.generator import generate_pdf, random_doc_spec

ORGAN = "000.00.00.H26"
PASSWORD = "Mật-khẩu-thử-nghiệm-2026"
WORD = "khoáng sản"  # in every test document's subject, so one search finds them


def _pdf(seed: int, subject: str) -> bytes:
    spec = random_doc_spec(random.Random(seed), doc_type="Công văn", marks=False, pages=1)
    spec.subject = subject
    return generate_pdf(spec)


@pytest.fixture
def archive_env(tmp_path):
    """An archive with one dossier of 2010 whose two records a council has approved for destruction,
    an administrator token for searching, and the environment of the CLI and the server."""
    env = {"LUUTRU_DATA_DIR": str(tmp_path / "data"), "LUUTRU_USER": "luutruvien", "LUUTRU_PASSWORD": PASSWORD}
    services = build_services(load_settings({"LUUTRU_DATA_DIR": env["LUUTRU_DATA_DIR"]}))
    try:
        for name, role in (("luutruvien", "archivist"), ("chanhvanphong", "archivist"), ("hoidong1", "council"),
                           ("hoidong2", "council"), ("hoidong3", "council")):
            services.accounts.create_user(name, full_name=name, role=role, password=PASSWORD, actor="test",
                                          access_levels=["public", "internal", "restricted", "secret"])
        archive = services.archive
        archive.ensure_fonds(ORGAN, "Ủy ban nhân dân tỉnh Hà Nam")
        did = archive.create_dossier(organ_id=ORGAN, year=2010, notation="01.VP", title="Công văn năm 2010",
                                     end_date=date(2010, 12, 31))
        records = [archive.create_record(io.BytesIO(_pdf(n, f"Về việc cấp phép {WORD} số {n}")), filename=f"{n}.pdf",
                                         actor="test", dossier_id=did,
                                         metadata=RecordMetadata(type_name="Công văn",
                                                                 subject=f"Về việc cấp phép {WORD} số {n}"))
                   .record_id for n in (1, 2)]
        docs = [archive.create_record(io.BytesIO(_pdf(n, f"Văn bản của thủ tục hủy {n}")), filename=f"d{n}.pdf",
                                      actor="test", metadata=RecordMetadata(
                                          subject=f"Văn bản thủ tục {n}", code_number=str(n), code_notation="QĐ-UBND",
                                          issued_date=date(2026, 1, 5))).record_id
                for n in (3, 4)]
        archive.run_pending_tasks()
        retention, disposal = retention_services(services)
        item = next(i for i in retention_items(services) if i[1:] == ("10", "review_destroy"))
        retention.assign_manual("dossier", did, schedule_code="vn-sample", item_code=item[0], reason="10 năm",
                                actor="user:luutruvien")
        assert did in retention.sweep(date(2026, 1, 1), actor="user:luutruvien").as_dict()["listed_ids"]
        batch = disposal.propose(title="Đợt hủy 2026", explanation="Hết thời hạn", actor="user:luutruvien",
                                 council=["hoidong1", "hoidong2", "hoidong3"])["batch_id"]
        for m in ("user:hoidong1", "user:hoidong2", "user:hoidong3"):
            disposal.vote(batch, member=m, vote="approve")
        disposal.close_review(batch, minutes_record_id=docs[0], actor="user:luutruvien")
        disposal.approve(batch, decision_record_id=docs[1], actor="user:chanhvanphong")
        token = services.accounts.create_client("qlvb", scopes=["read", "search", "deposit"],
                                                access_levels=["public", "internal", "restricted", "secret"],
                                                rate_limit=0, actor="test")["token"]
    finally:
        services.close()
    return {"env": env, "records": records, "batch": batch, "auth": {"Authorization": f"Bearer {token}"}}


def retention_items(services):
    from retention import schedules

    with services.catalogue.session() as s:
        return [(i.code, str(i.period), str(i.action)) for i in schedules.load_schedule(s, "vn-sample").items]


def _found(srv, auth, q: str) -> set[str]:
    r = httpx.get(srv.base + "/api/v1/search", params={"q": q, "size": 50}, headers=auth, timeout=30)
    assert r.status_code == 200, r.text
    return {h["record_id"] for h in r.json()["hits"]}


def test_a_destruction_run_from_the_cli_is_not_searchable_when_it_reports_done(archive_env, tmp_path):
    env, auth = archive_env["env"], archive_env["auth"]
    with serve(env, tmp_path / "serve.log") as srv:
        # the server writes the index first (a deposit), as it does all day
        up = httpx.post(srv.base + "/api/v1/records", params={"filename": "moi.pdf"}, headers={
            **auth, "Content-Type": "application/pdf"}, content=_pdf(9, f"Báo cáo {WORD} quý I"), timeout=120)
        assert up.status_code == 201, up.text
        assert set(archive_env["records"]) <= _found(srv, auth, WORD)

        done = run_cli({**env, "LUUTRU_USER": "chanhvanphong"}, "retention", "destroy", archive_env["batch"], "--json")
        assert done.returncode == 0, done.stderr + done.stdout
        result = json.loads(done.stdout)
        assert result["state"] == "destroyed" and sorted(result["destroyed"]) == sorted(archive_env["records"])
        # at once — not after a repair pass
        assert not (set(archive_env["records"]) & _found(srv, auth, WORD)), srv.log_tail()
        for rid in archive_env["records"]:
            assert httpx.get(f"{srv.base}/api/v1/records/{rid}", headers=auth).status_code == 404


def test_a_record_ingested_from_the_cli_is_searchable_when_the_cli_returns(archive_env, tmp_path):
    env, auth = archive_env["env"], archive_env["auth"]
    path = tmp_path / "cong-van-moi.pdf"
    path.write_bytes(_pdf(11, "Về việc kiểm kê tài liệu lưu trữ năm 2026"))
    with serve(env, tmp_path / "serve.log") as srv:
        assert _found(srv, auth, WORD)  # the server has opened its index
        out = run_cli(env, "ingest", str(path), "--json")
        assert out.returncode == 0, out.stderr + out.stdout
        rid = json.loads(out.stdout.splitlines()[0])["record_id"]
        deadline = time.monotonic() + 3  # a reader of another process reloads within about 0.5 s
        while rid not in _found(srv, auth, "kiểm kê tài liệu") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert rid in _found(srv, auth, "kiem ke tai lieu"), srv.log_tail()
        status = json.loads(run_cli(env, "status", "--json").stdout)
        assert status["counts"]["pending_post_commit"] == 0
