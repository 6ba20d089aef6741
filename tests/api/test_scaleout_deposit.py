"""Deposits through the workers in scale-out: the API (and ``luutru ingest``) stage the upload in
the object store and a real ``luutru worker`` process ingests it; the job is followed over HTTP;
a crash between staging and ingest is repaired by the next run. On the real PostgreSQL, S3 server
(versitygw), OpenSearch and Redis of tests/servers/start."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from apienv import PASSWORD, generated_pdfs, make_env
from fastapi.testclient import TestClient
from scaleout import scale_out
from served import ROOT, child_env

from archive.staging import PREFIX, DepositStaging
from search.query import Principal, SearchQuery

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.opensearch, pytest.mark.s3_server]


def _client(services, app, client, name: str, scopes: list[str]) -> dict[str, str]:
    token = services.accounts.create_client(name, scopes=scopes, access_levels=["public", "internal"],
                                            actor="test")["token"]
    return {"Authorization": f"Bearer {token}"}


def _poll(client, url: str, headers: dict, timeout: float = 90.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(url, headers=headers)
        assert r.status_code == 200, r.text
        if r.json()["status"] == "done":
            return r.json()
        assert time.monotonic() < deadline, f"job not done in {timeout:.0f} s: {r.json()}"
        time.sleep(0.3)


def test_http_deposits_are_ingested_by_a_worker(tmp_path, postgres_url):
    """GIVEN a scale-out archive with one real worker WHEN files are uploaded THEN with a wait the
    answer is the ingest's own (201, then 200 for the same bytes) and the record is on OpenSearch;
    with no wait it is 202 with the job's URL, which the depositor follows to the outcome (ingested,
    or rejected for a corrupt file) and nobody else sees; nothing stays staged."""
    pdfs = [pdf for _spec, pdf in generated_pdfs(16, 3)]
    with scale_out(tmp_path, postgres_url) as so:
        services, app = make_env(tmp_path / "data", **so.env)
        try:
            so.start_worker("a")
            with TestClient(app) as client:
                qlvb = _client(services, app, client, "qlvb", ["deposit", "read"])
                other = _client(services, app, client, "khac", ["deposit", "read"])
                admin = _client(services, app, client, "quantri", ["admin"])
                r = client.post("/api/v1/records", headers=qlvb, files={"file": ("công văn.pdf", pdfs[0], "application/pdf")},
                                data={"access_level": "internal"})
                assert r.status_code == 201, r.text
                first = r.json()
                assert first["outcome"] == "ingested" and first["job_id"]
                again = client.post("/api/v1/records", headers=qlvb, files={"file": ("bản sao.pdf", pdfs[0], "application/pdf")})
                assert (again.status_code, again.json()["record_id"]) == (200, first["record_id"])
                backend = services.search_backend
                backend.refresh()  # indexed on OpenSearch by the worker, after its commit
                hits = backend.search(SearchQuery(q="", size=10), Principal(unrestricted=True))
                assert first["record_id"] in {h.record_id for h in hits.hits}

            services.settings.tasks.deposit_wait_seconds = 0  # from now on: 202 and a job to follow
            with TestClient(app) as client:
                r = client.post("/api/v1/records", headers=qlvb, content=pdfs[1],
                                params={"filename": "quyết định.pdf"})
                assert r.status_code == 202, r.text
                job = r.json()
                assert r.headers["location"] == job["url"] == f"/api/v1/deposits/{job['job_id']}"
                assert client.get(job["url"], headers=other).status_code == 404  # not the depositor's job
                done = _poll(client, job["url"], qlvb)
                assert done["outcome"] == "ingested" and done["record_id"]
                assert client.get(job["url"], headers=admin).json()["record_id"] == done["record_id"]
                assert client.get(f"/api/v1/records/{done['record_id']}", headers=qlvb).json()["original_filename"] \
                    == "quyết định.pdf"

                corrupt = client.post("/api/v1/records", headers=qlvb, content=b"%PDF-1.7\n" + b"\x00garbage" * 50,
                                      params={"filename": "hỏng.pdf"})
                assert corrupt.status_code == 202
                outcome = _poll(client, corrupt.json()["url"], qlvb)
                assert outcome["outcome"] == "rejected" and outcome["code"] and outcome["record_id"] is None
                assert client.get("/api/v1/deposits/not-a-job", headers=qlvb).status_code == 404
            assert list(services.store.list_named(PREFIX)) == []
        finally:
            services.close()


def test_luutru_ingest_uploads_instead_of_sending_paths(tmp_path, postgres_url):
    """GIVEN scale-out and no worker running WHEN `luutru ingest` is run on a folder THEN it stages
    every file in the object store; the folder is then deleted, and a worker started afterwards
    still ingests every file (nothing was read from this machine's paths) and the command reports
    each outcome."""
    from served import account

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n, (_spec, pdf) in enumerate(generated_pdfs(17, 3)):
        (corpus / f"vb-{n}.pdf").write_bytes(pdf)
    with scale_out(tmp_path, postgres_url) as so:
        assert subprocess.run([sys.executable, "-m", "api.cli", "init"], env=child_env(so.env), cwd=ROOT,
                              capture_output=True, timeout=300).returncode == 0
        env = account(so.env)
        services = so.services()
        try:
            proc = subprocess.Popen([sys.executable, "-m", "api.cli", "ingest", str(corpus), "--json"],
                                    env=child_env(env), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)
            deadline = time.monotonic() + 120
            while len(list(services.store.list_named(PREFIX))) < 3:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "the files were not staged"
                time.sleep(0.3)
            for f in corpus.iterdir():
                f.unlink()
            corpus.rmdir()
            so.start_worker("a")
            out, errs = proc.communicate(timeout=180)
            rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
            assert proc.returncode == 0, errs
            assert sorted(r["outcome"] for r in rows) == ["ingested"] * 3, rows
            assert list(services.store.list_named(PREFIX)) == []
        finally:
            services.close()


def test_a_crash_between_staging_and_ingest_is_repaired(tmp_path, postgres_url):
    """GIVEN the two crash states — bytes staged but no manifest (the receiver died between them),
    and a manifest whose task was lost (the broker emptied, a worker killed) — WHEN the repair pass
    runs with no grace THEN the manifest's bytes are kept (never lost) and the unclaimed bytes are
    removed; and WHEN a worker starts THEN the lost job is dispatched again and ingested."""
    pdfs = [pdf for _spec, pdf in generated_pdfs(18, 2)]
    with scale_out(tmp_path, postgres_url, LUUTRU_REPAIR__ORPHAN_GRACE_SECONDS="0",
                   LUUTRU_TASKS__DEPOSIT_REQUEUE_SECONDS="60") as so:
        services = so.services()
        try:
            store = services.store
            unclaimed = store.put(io.BytesIO(pdfs[0]), size=len(pdfs[0]))
            staging = DepositStaging(store)
            lost = staging.stage(io.BytesIO(pdfs[1]), size=len(pdfs[1]), manifest={
                "submit_name": "tờ trình.pdf", "submitter": "user:luutruvien", "declared": {}, "dossier_code": None,
                "source": "api"})
            # as if staged two hours ago and never dispatched
            store.delete_named(f"{PREFIX}{lost['job_id']}.json")
            old = {**lost, "staged_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat()}
            store.put_named(f"{PREFIX}{lost['job_id']}.json", json.dumps(old).encode())
            services.accounts.create_user("luutruvien", full_name="Nguyễn Thị Lan", role="archivist",
                                          password=PASSWORD, actor="test")

            report = services.archive.repair(actor="test")
            assert unclaimed.key in report.orphans_removed and not store.exists(unclaimed.key)
            assert store.exists(lost["key"]) and lost["key"] not in report.orphans_removed

            so.start_worker("a")  # its start-up repair dispatches the lost job
            from api import deposits

            result = deposits.wait(services, lost["job_id"], 90)
            assert result is not None and result["outcome"] == "ingested", so.logs()
            assert result["submitter"] == "user:luutruvien"
            assert staging.get(lost["job_id"]) is None
            rec = services.archive.get_record(result["record_id"], actor="test")
            assert rec["original_filename"] == "tờ trình.pdf"
        finally:
            services.close()
