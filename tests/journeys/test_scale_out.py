"""The scale-out deployment end to end, every piece real: PostgreSQL, the S3 server (versitygw,
object lock in GOVERNANCE mode), OpenSearch, the Tika server and Redis of tests/servers/start, a
``luutru serve`` and two ``luutru worker`` processes.

``luutru init`` makes the bucket (with lock) and the index (template and alias); people deposit over
HTTP, the two workers ingest (a PDF through PDFium, an HTML page through the Tika server); searches
are answered by OpenSearch; a dossier goes through the disposal procedure — blocked by a hold until
it is released — and its objects leave the bucket and its records the index; the fixity audit reads
every object back; ``luutru reindex`` builds a new index and switches the alias while searches keep
answering. Marked ``scaleout``: it runs in CI, where every server is present (CI=true makes a
missing one a failure), and skips elsewhere without them."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from apienv import PASSWORD, generated_pdfs
from scaleout import scale_out
from served import ROOT, child_env, serve

pytestmark = [pytest.mark.scaleout, pytest.mark.postgres, pytest.mark.redis, pytest.mark.opensearch,
              pytest.mark.s3_server, pytest.mark.tika_server]

ORGAN = "000.00.00.H26"
PEOPLE = {"luutruvien": "archivist", "hoidong1": "council", "hoidong2": "council", "hoidong3": "council",
          "quantri": "admin"}


def _luutru(env: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], env=child_env(env), cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, check=False)


def _ok(r: httpx.Response, status: int = 200) -> dict:
    assert r.status_code == status, f"{r.request.method} {r.request.url}: {r.status_code} {r.text[:500]}"
    return r.json()


def test_scale_out_end_to_end(tmp_path, postgres_url):
    started = time.monotonic()
    docs = generated_pdfs(4016, 5)
    html = ("<html><head><meta charset='utf-8'><title>Thông báo lịch tiếp công dân</title></head><body>"
            "<p>Ủy ban nhân dân tỉnh Hà Nam thông báo lịch tiếp công dân định kỳ tháng 12 năm 2026 "
            "tại trụ sở tiếp dân tỉnh.</p></body></html>").encode()
    with scale_out(tmp_path, postgres_url, tika_server=True) as so:
        # init: the bucket with object lock, the index template and the alias
        r = _luutru(so.env, "init")
        assert r.returncode == 0, r.stdout + r.stderr
        services = so.services()
        try:
            store, backend = services.store, services.search_backend
            assert store._lock_configuration() == (True, None)
            first_index = backend._aliased()
            assert len(first_index) == 1
            assert backend.client.indices.exists_index_template(name=backend.template()[0])
            for name, role in PEOPLE.items():
                services.accounts.create_user(name, full_name=f"Nguyễn Văn {name.title()}", role=role,
                                              password=PASSWORD, actor="test")
        finally:
            services.close()

        with ThreadPoolExecutor(2) as pool:  # both workers start at once
            list(pool.map(lambda n: so.start_worker(n), ("a", "b")))
        with serve(so.env, tmp_path / "serve.log") as srv, httpx.Client(base_url=srv.base, timeout=120) as http:
            tokens = {n: _ok(http.post("/api/v1/auth/login", json={"username": n, "password": PASSWORD}))["access_token"]
                      for n in PEOPLE}

            def as_(who: str) -> dict:
                return {"Authorization": f"Bearer {tokens[who]}"}

            # deposits over HTTP, at once: the two workers share them
            fonds = _ok(http.post("/api/v1/fonds", headers=as_("luutruvien"),
                                  json={"organ_id": ORGAN, "name": "Ủy ban nhân dân tỉnh Hà Nam"}), 201)
            dossier = _ok(http.post("/api/v1/dossiers", headers=as_("luutruvien"), json={
                "fonds_id": fonds["id"], "year": 2010, "notation": "01.VP", "end_date": "2010-12-31",
                "title": "Hồ sơ công văn trao đổi về công tác văn thư năm 2010"}), 201)

            def deposit(item):
                n, (spec, pdf) = item
                # documents of 2010 in the 2010 dossier (its end date follows its documents)
                data = {"dossier": dossier["code"], "issued_date": f"2010-0{n + 5}-15"} if n < 2 else {}
                r = http.post("/api/v1/records", headers=as_("luutruvien"), data=data,
                              files={"file": (f"văn bản {n}.pdf", pdf, "application/pdf")})
                return spec, _ok(r, 201)

            with ThreadPoolExecutor(5) as pool:
                deposited = list(pool.map(deposit, enumerate(docs)))
            page = _ok(http.post("/api/v1/records", headers=as_("luutruvien"), content=html,
                                 params={"filename": "thông báo.html"}), 201)
            ids = [d["record_id"] for _s, d in deposited]
            in_dossier, (proposal_doc, minutes_doc, decision_doc) = ids[:2], ids[2:5]
            for proc in so.workers:  # both workers took deposits
                log = proc.log.read_text(errors="replace")  # type: ignore[attr-defined]
                assert "luutru.ingest_staged[" in log and "succeeded" in log, log[-2000:]

            # search on OpenSearch: by số ký hiệu, and the Tika-extracted page by its words
            def found(q: str) -> set[str]:
                return {h["record_id"] for h in _ok(http.get("/api/v1/search", headers=as_("luutruvien"),
                                                             params={"q": q}))["hits"]}

            deadline = time.monotonic() + 30
            while not (ids[0] in found(f'"{deposited[0][0].so_ky_hieu}"') and page["record_id"] in found("tiếp công dân")):
                assert time.monotonic() < deadline, "the deposits are not searchable on OpenSearch"
                time.sleep(0.5)

            # retention: the dossier is due, proposed, voted, approved; a hold blocks the destruction
            sample = _ok(http.get("/api/v1/retention/schedules/vn-sample", headers=as_("luutruvien")))
            item = next(i for i in sample["items"] if i["period"] == "10" and i["action"] == "review_destroy")
            _ok(http.post("/api/v1/retention/assignments", headers=as_("luutruvien"), json={
                "target_type": "dossier", "target_id": dossier["id"], "schedule_code": "vn-sample",
                "item_code": item["item_code"], "reason": "Công văn trao đổi: 10 năm"}))
            _ok(http.post("/api/v1/retention/sweep", headers=as_("luutruvien"), json={}))
            batch = _ok(http.post("/api/v1/retention/disposals", headers=as_("luutruvien"), json={
                "title": "Đợt hủy tài liệu hết giá trị năm 2026", "council": ["hoidong1", "hoidong2", "hoidong3"],
                "explanation": "Công văn trao đổi đã hết thời hạn bảo quản 10 năm",
                "proposal_record_id": proposal_doc}), 201)
            b = batch["batch_id"]
            for who in ("hoidong1", "hoidong2", "hoidong3"):
                _ok(http.post(f"/api/v1/retention/disposals/{b}/votes", headers=as_(who), json={"vote": "approve"}), 201)
            _ok(http.post(f"/api/v1/retention/disposals/{b}/review", headers=as_("luutruvien"),
                          json={"minutes_record_id": minutes_doc}))
            _ok(http.post(f"/api/v1/retention/disposals/{b}/approve", headers=as_("quantri"),
                          json={"decision_record_id": decision_doc}))
            hold = _ok(http.post("/api/v1/retention/holds", headers=as_("luutruvien"), json={
                "authority": "Thanh tra tỉnh Hà Nam", "reason": "Phục vụ thanh tra", "scope_type": "dossiers",
                "ids": [dossier["id"]]}), 201)
            assert http.post(f"/api/v1/retention/disposals/{b}/destroy", headers=as_("quantri"), json={}).status_code == 409
            plan = _ok(http.post(f"/api/v1/retention/disposals/{b}/destroy", headers=as_("quantri"), json={"dry_run": True}))
            assert {p["blocked"] for p in plan["records"]} == {f"held: {hold['id']}"}
            _ok(http.post(f"/api/v1/retention/holds/{hold['id']}/release", headers=as_("luutruvien"),
                          json={"reason": "Thanh tra đã kết thúc"}))
            plan = _ok(http.post(f"/api/v1/retention/disposals/{b}/destroy", headers=as_("quantri"), json={"dry_run": True}))
            keys = {o["storage_key"] for p in plan["records"] for o in p["objects"]}
            assert keys and sorted(p["record_id"] for p in plan["records"]) == sorted(in_dossier)
            result = _ok(http.post(f"/api/v1/retention/disposals/{b}/destroy", headers=as_("quantri"), json={}))
            assert sorted(result["destroyed"]) == sorted(in_dossier)

            services = so.services()
            try:
                # the objects are gone from the locked bucket (every version), the records from the index
                versions = {o.object_name for o in services.store._client.list_objects(
                    services.store.bucket, recursive=True, include_version=True)}
                assert not any(k in v for k in keys for v in versions), keys & versions
                services.search_backend.refresh()
            finally:
                services.close()
            assert not found(f'"{deposited[0][0].so_ky_hieu}"') & set(in_dossier)
            assert http.get(f"/api/v1/records/{in_dossier[0]}/content", headers=as_("luutruvien")).status_code in (404, 410)

            # fixity: every remaining object read back and re-hashed
            fixity = _luutru(so.env, "fixity", "run", "--json")
            report = json.loads(fixity.stdout)
            assert fixity.returncode == 0 and report["failures"] == [] and report["objects"] >= 4, fixity.stderr

            # reindex to a new index, the alias switched while searches run
            answers: list[tuple[int, bool]] = []
            stop = threading.Event()

            def search_meanwhile() -> None:
                with httpx.Client(base_url=srv.base, timeout=30) as c:
                    while not stop.is_set():
                        r = c.get("/api/v1/search", headers=as_("luutruvien"), params={"q": "tiếp công dân"})
                        answers.append((r.status_code, r.status_code == 200 and page["record_id"] in
                                        {h["record_id"] for h in r.json()["hits"]}))
                        time.sleep(0.05)

            searcher = threading.Thread(target=search_meanwhile)
            searcher.start()
            try:
                time.sleep(0.5)
                reindex = _luutru(so.env, "reindex")
                time.sleep(0.5)
            finally:
                stop.set()
                searcher.join()
            assert reindex.returncode == 0, reindex.stdout + reindex.stderr
            assert len(answers) >= 5 and all(a == (200, True) for a in answers), answers
            services = so.services()
            try:
                now_index = services.search_backend._aliased()
                assert len(now_index) == 1 and now_index != first_index
                assert not services.search_backend.client.indices.exists(index=first_index[0])
            finally:
                services.close()
            assert page["record_id"] in found("tiếp công dân")
    assert time.monotonic() - started < 180, f"the scale-out journey took {time.monotonic() - started:.0f} s"
