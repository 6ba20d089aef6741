"""Search over HTTP: the caller's access rule applies to everything a search returns — hits,
totals, facet counts, the histogram, snippets, more-like-this and deep paging — and the search
itself behaves as officials expect (no diacritics, số ký hiệu first, filters, audit)."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from apienv import LEVELS, make_env
from fastapi.testclient import TestClient
from query_inputs import law_documents, paragraph, words_of

from archive.domain import RecordMetadata
from search.query import MAX_NESTING, MAX_WORDS

ROOT = Path(__file__).resolve().parents[2]

# One distinctive project name per access level; every subject also says "dự án" (shared word).
CODENAMES = {"public": "Hoa Sen", "internal": "Ngọc Trai", "restricted": "Bạch Đằng", "secret": "Sao Khuê"}
READS = {"canbo": {"public", "internal"}, "cong-dvc": {"public"}, "canbo_congkhai": {"public"},
         "luutruvien": {"public", "internal", "restricted"}, "quantri": set(LEVELS)}
FACETS = ["type", "agency", "signer", "year", "access_level", "signature_status", "retention_status"]


@pytest.fixture
def project_docs(api, sample_pdfs) -> dict[str, tuple[object, str]]:
    """One record per access level, subject "Về việc triển khai dự án <codename>": level -> (spec, id)."""
    from kit.corpus.generator import generate_pdf

    out = {}
    # a copy (bản sao) prints its original's subject and số ký hiệu: not what these tests vary
    own = [spec for spec, _pdf in sample_pdfs if spec.original is None]
    assert len(own) >= len(LEVELS)
    for level, spec in zip(LEVELS, own, strict=False):
        spec = dataclasses.replace(spec, subject=f"Về việc triển khai dự án {CODENAMES[level]} của tỉnh")
        rid = api.deposit(generate_pdf(spec), access_level=level, filename=f"{level}.pdf")["record_id"]
        out[level] = (spec, rid)
    api.services.archive.run_pending_tasks()
    api.services.search_backend.refresh()
    return out


def _search(api, who, **params):
    r = api.get(who, "/api/v1/search", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def _all_pages(api, who, **params) -> list[str]:
    ids, after = [], None
    for _ in range(20):
        page = _search(api, who, size=1, **params, **({"search_after": after} if after else {}))
        ids += [h["record_id"] for h in page["hits"]]
        after = page["next_after"]
        if after is None:
            return ids
    raise AssertionError("paging did not end")


@pytest.mark.parametrize("who", ["canbo", "cong-dvc", "luutruvien", "quantri"])
def test_hits_totals_facets_histogram_and_paging_see_only_readable_records(api, project_docs, who):
    """GIVEN a record at every access level, all about "dự án" WHEN each kind of caller searches,
    with every facet, the yearly histogram and page by page THEN every count and every hit covers
    exactly the records that caller may read."""
    readable = {project_docs[level][1] for level in READS[who]}
    body = _search(api, who, q="dự án", facets=",".join(FACETS), histogram="year", size=50)
    assert {h["record_id"] for h in body["hits"]} == readable
    assert body["total"] == len(readable)
    assert set(body["facets"]["access_level"]) == READS[who]
    for name in ("type", "agency", "year", "access_level", "signature_status"):
        assert sum(body["facets"][name].values()) == len(readable), name
    assert sum(body["histogram"].values()) == len(readable)
    # nothing of an unreadable record in what is shown
    hidden = set(LEVELS) - READS[who]
    shown = str(body)
    for level in hidden:
        spec = project_docs[level][0]
        assert CODENAMES[level] not in shown and spec.so_ky_hieu not in shown
    assert _all_pages(api, who, q="dự án") == [h["record_id"] for h in
                                                 _search(api, who, q="dự án", size=50)["hits"]]
    assert set(_all_pages(api, who, sort="date_asc")) == readable


def test_distinctive_words_of_a_secret_record_find_nothing_for_an_official(api, project_docs):
    """GIVEN a secret record about "dự án Sao Khuê" WHEN an official and the public portal search its
    name, its số ký hiệu, or filter on the secret level THEN they get nothing — not even a count —
    while the administrator finds it first, with the words highlighted."""
    spec, secret_id = project_docs["secret"]
    for who in ("canbo", "cong-dvc"):
        for params in ({"q": "Sao Khuê"}, {"q": "sao khue"}, {"q": spec.so_ky_hieu},
                       {"q": "", "access_level": "secret", "facets": "access_level"}):
            body = _search(api, who, **params)
            assert secret_id not in {h["record_id"] for h in body["hits"]}
            assert "Sao Khuê" not in str(body) and "secret" not in body["facets"].get("access_level", {})
            if params["q"] != spec.so_ky_hieu:
                assert body["total"] == 0, (who, params)
    admin = _search(api, "quantri", q="sao khue")
    assert admin["hits"][0]["record_id"] == secret_id
    assert "<b>" in (admin["hits"][0]["snippet"] or "") or "Sao Khuê" in admin["hits"][0]["title"]


def test_a_next_after_token_of_the_administrator_does_not_open_secret_records(api, project_docs):
    """GIVEN the administrator's paging token positioned before the secret record WHEN the public
    portal continues from it THEN the next pages hold only public records."""
    first = _search(api, "quantri", q="dự án", sort="date_asc", size=1)
    token = first["next_after"]
    assert token
    rest = _all_pages(api, "cong-dvc", q="dự án", sort="date_asc", search_after=token)
    assert set(rest) <= {project_docs["public"][1]}


def test_more_like_this_is_trimmed_and_needs_a_readable_source(api, project_docs):
    """GIVEN records about similar projects WHEN an official asks for records like a public one THEN
    only records they may read come back; asking about the secret one is a 404 like a missing
    record."""
    readable = {project_docs[level][1] for level in READS["canbo"]}
    r = api.get("canbo", f"/api/v1/records/{project_docs['public'][1]}/similar")
    assert r.status_code == 200, r.text
    ids = {h["record_id"] for h in r.json()["hits"]}
    assert ids <= readable - {project_docs["public"][1]}
    assert r.json()["total"] == len(ids)
    admin = api.get("quantri", f"/api/v1/records/{project_docs['public'][1]}/similar").json()
    assert {h["record_id"] for h in admin["hits"]} - ids, "the administrator sees more similar records"
    for rid in (project_docs["secret"][1], "00000000-0000-0000-0000-000000000000"):
        missing = api.get("canbo", f"/api/v1/records/{rid}/similar")
        assert missing.status_code == 404 and missing.json()["code"] == "record_not_found"


def test_search_without_diacritics_and_by_so_ky_hieu(api, project_docs):
    """GIVEN archived records WHEN an official types a name without diacritics, or a số ký hiệu
    THEN the document is found, the one with that số ký hiệu first."""
    body = _search(api, "canbo", q="ngoc trai")
    assert [h["record_id"] for h in body["hits"]] == [project_docs["internal"][1]]
    spec, rid = project_docs["public"]
    top = _search(api, "canbo", q=spec.so_ky_hieu)["hits"][0]
    assert top["record_id"] == rid and top["so_ky_hieu"] == spec.so_ky_hieu
    assert top["type"] and top["agency"] and top["date"] == spec.issued.isoformat()


def test_filters_and_post_body(api, project_docs):
    """GIVEN records of several types and dates WHEN the administrator filters by type, by year
    range, or posts the same search as JSON THEN only matching records come back."""
    spec, rid = project_docs["public"]
    by_type = _search(api, "quantri", q="dự án", type=spec.doc_type)
    assert rid in {h["record_id"] for h in by_type["hits"]}
    assert all(h["type"].lower() == spec.doc_type.lower() for h in by_type["hits"])
    year = spec.issued.year
    by_year = _search(api, "quantri", year_from=year, year_to=year, size=50)
    expected = {r for s, r in project_docs.values() if s.issued.year == year}
    assert {h["record_id"] for h in by_year["hits"]} == expected
    by_day = _search(api, "quantri", **{"from": spec.issued.isoformat(), "to": spec.issued.isoformat()})
    assert rid in {h["record_id"] for h in by_day["hits"]}
    posted = api.post("quantri", "/api/v1/search", json={"q": "dự án", "type": [spec.doc_type],
                                                         "facets": ["type"], "size": 5})
    assert posted.status_code == 200, posted.text
    assert posted.json()["hits"] == by_type["hits"]
    folded = _search(api, "quantri", q="du an", type=spec.doc_type)  # same records without diacritics
    assert [h["record_id"] for h in folded["hits"]] == [h["record_id"] for h in by_type["hits"]]
    # disjunctive facets: the chosen type keeps its count, the other types are counted as if chosen
    counts = {k.lower(): v for k, v in posted.json()["facets"]["type"].items()}
    assert counts[spec.doc_type.lower()] == by_type["total"]
    assert sum(counts.values()) == _search(api, "quantri", q="dự án", size=1)["total"] > by_type["total"]
    posted_cb = api.post("canbo", "/api/v1/search", json={"q": "dự án", "access_level": ["secret"]})
    assert posted_cb.json()["total"] == 0


def test_limits_scopes_and_audit(api, project_docs):
    """GIVEN the API's limits WHEN a page is larger than allowed, a facet is unknown, a token is
    forged, or a client without the search scope searches THEN the request is refused; and every
    search is in the audit log with its query and hit count."""
    limit = api.services.settings.api.max_page_size
    assert api.get("canbo", "/api/v1/search", params={"size": limit + 1}).status_code == 422
    bad = api.get("canbo", "/api/v1/search", params={"facets": "password"})
    assert bad.status_code == 422 and bad.json()["detail_vi"]
    assert api.get("canbo", "/api/v1/search", params={"search_after": "%%%"}).status_code == 422
    assert api.post("canbo", "/api/v1/search", json={"q": "x", "unknown": 1}).status_code == 422
    misspelt = api.get("canbo", "/api/v1/search", params={"q": "dự án", "typ": "Công văn"})  # not a filter
    assert misspelt.status_code == 422 and "typ" in misspelt.json()["detail_vi"]
    assert api.get("harvester", "/api/v1/search", params={"q": "x"}).status_code == 403
    assert api.get(None, "/api/v1/search", params={"q": "x"}).status_code == 401
    _search(api, "cong-dvc", q="Hoa Sen", facets="type")
    log = api.get("quantri", "/api/v1/audit", params={"action": "search", "actor": "client:cong-dvc"}).json()
    entry = log["items"][0]
    assert entry["client"] == "cong-dvc" and entry["detail"]["q"] == "Hoa Sen"
    assert entry["detail"]["total"] == 1 and entry["detail"]["hits"] == 1


def test_a_search_over_the_time_limit_answers_503(tmp_path, sample_pdfs):
    """GIVEN an API whose time limit for a request is a microsecond WHEN a client searches THEN it
    gets a 503 problem (and the failure is audited), not a hanging request."""
    services, app = make_env(tmp_path / "data", LUUTRU_API__REQUEST_TIMEOUT_SECONDS="0.000001")
    try:
        token = services.accounts.create_client("portal", scopes=["search"], access_levels=["public"],
                                                actor="test")["token"]
        with TestClient(app) as client:
            r = client.get("/api/v1/search", params={"q": "quyết định"}, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 503 and r.json()["code"] == "timeout" and r.json()["detail_vi"]
        with services.catalogue.session() as s:
            from archive import audit

            failed = audit.query(s, action="search", outcome="failure", limit=5)
        assert failed and failed[0]["detail"]["error"] == "timeout"
    finally:
        services.close()


# long and malformed input ------------------------------------------------------------------------
def _archive_law(services, count: int = 12) -> list:
    """``count`` articles of real codes of law archived as public records (a text component each):
    the documents officials paste paragraphs from. Returns their index documents, record id set."""
    from archive.service import NewComponent

    docs = law_documents(count)
    out = []
    for d in docs:
        created = services.archive.create_record(
            io.BytesIO(d.body.encode()), filename=f"{d.record_id}.txt", actor="test", media_type="text/plain",
            metadata=RecordMetadata(type_name="Bộ luật", subject=d.title, organ_name=d.organ_name,
                                    signer_name=d.signer_name, issued_date=d.issued_date, access_level="public"),
            derivatives=[NewComponent(io.BytesIO(d.body.encode()), "text", "text/plain; charset=utf-8")])
        out.append((created.record_id, d))
    services.archive.run_pending_tasks()
    services.search_backend.refresh()
    return out


def test_a_pasted_paragraph_of_1000_characters_answers_its_document(api):
    """GIVEN archived articles of real codes of law WHEN an official pastes 1,000 characters of one
    (GET and POST), or 145 of its words, or a word 160 times THEN 200 with results, that article
    first."""
    archived = _archive_law(api.services)
    for rid, d in archived[:4]:
        text = paragraph(d.body)
        assert 900 <= len(text) <= 1000
        got = _search(api, "canbo", q=text, facets="type")
        assert got["total"] >= 1 and got["hits"][0]["record_id"] == rid
        posted = api.post("canbo", "/api/v1/search", json={"q": text, "size": 5})
        assert posted.status_code == 200 and posted.json()["hits"][0]["record_id"] == rid
        assert _search(api, "canbo", q=words_of(d.body, 145))["hits"][0]["record_id"] == rid
    assert _search(api, "canbo", q=" ".join(["người"] * 160))["total"] >= 1  # 959 characters


def _token(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


MALFORMED = [
    ({"q": "(" * 490 + "lưu trữ" + ")" * 490}, "query_too_complex"),
    ({"q": "(" * (MAX_NESTING + 1) + "a"}, "query_too_complex"),
    ({"q": "a " * (MAX_WORDS + 1)}, "query_too_complex"),
    ({"q": " ".join(str(n) for n in range(1000))[:1000].rsplit(" ", 1)[0]}, "query_too_complex"),
    ({"q": "x" * 1001}, "invalid_request"),
    ({"search_after": _token(["x", "y"])}, "invalid_cursor"),
    ({"search_after": _token([1])}, "invalid_cursor"),
    ({"search_after": _token([None, None])}, "invalid_cursor"),
    ({"search_after": _token([1e308, 1])}, "invalid_cursor"),
    ({"search_after": _token([1.5, 2]), "sort": "date_desc"}, "invalid_cursor"),
    ({"search_after": _token([738000, 2**63])}, "invalid_cursor"),
    ({"search_after": _token({"a": 1})}, "invalid_cursor"),
    ({"search_after": base64.urlsafe_b64encode(b"[" * 1400).decode()}, "invalid_cursor"),
    ({"search_after": "%%%"}, "invalid_cursor"),
]


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    """One API over two archived articles, and a search client's headers (no rate limit)."""
    services, app = make_env(tmp_path_factory.mktemp("malformed") / "data")
    try:
        _archive_law(services, 2)
        token = services.accounts.create_client("cong-tra-cuu", scopes=["search"], access_levels=["public"],
                                                rate_limit=0, actor="test")["token"]
        with TestClient(app) as client:
            yield client, {"Authorization": f"Bearer {token}"}
    finally:
        services.close()


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("params,code", MALFORMED, ids=[f"{i}-{c}" for i, (_, c) in enumerate(MALFORMED)])
def test_malformed_search_input_is_a_422_problem(portal, method, params, code):
    """GIVEN a search nested past the bound, with too many words or clauses, too long, or with a
    search_after no page returned (each of them a 500 before, or a crash) WHEN sent by GET or POST
    THEN 422 application/problem+json with its code and a Vietnamese message."""
    client, auth = portal
    params = {"q": "người", **params}
    r = (client.get("/api/v1/search", params=params, headers=auth) if method == "GET"
         else client.post("/api/v1/search", json=params, headers=auth))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code and body["detail_vi"] and body["status"] == 422
    ok = client.get("/api/v1/search", params={"q": "người"}, headers=auth)  # still serving
    assert ok.status_code == 200 and ok.json()["total"] >= 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_real_server_survives_long_pasted_queries(tmp_path):
    """GIVEN ``luutru serve`` (a real process) over archived articles WHEN a client sends the
    queries that killed it — 145 words pasted from a document, 200 repeated words, 1,000 pasted
    characters — THEN each answers 200 with results and the process is still running; and when
    it does die of a fault in native code, its log says so, with every thread's stack."""
    data = tmp_path / "data"
    env = {"LUUTRU_DATA_DIR": str(data), "LUUTRU_TASKS__INLINE_INTERVAL_SECONDS": "0"}
    services, _app = make_env(data)
    try:
        archived = _archive_law(services, 6)
        token = services.accounts.create_client("cong-tra-cuu", scopes=["search"], access_levels=["public"],
                                                rate_limit=0, actor="test")["token"]
    finally:
        services.close()
    port, log = _free_port(), tmp_path / "server.log"
    child_env = {**{k: v for k, v in os.environ.items() if not k.startswith("LUUTRU_")}, **env}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=child_env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    base, auth = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            try:
                httpx.get(base + "/api/v1/health", headers=auth, timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
                time.sleep(0.2)
        rid, d = archived[0]
        for q in (words_of(d.body, 145), " ".join(["lưu trữ"] * 100), paragraph(d.body)):
            try:
                r = httpx.get(base + "/api/v1/search", params={"q": q}, headers=auth, timeout=60)
            except httpx.HTTPError as exc:
                pytest.fail(f"the server died ({proc.poll()}): {exc}\n{log.read_text(errors='replace')[-3000:]}")
            assert r.status_code == 200, r.text
            assert r.json()["total"] >= 1
        assert r.json()["hits"][0]["record_id"] == rid
        assert proc.poll() is None
        # a fault in native code (simulated: the signal a segmentation fault raises) ends it loudly
        proc.send_signal(signal.SIGSEGV)
        assert proc.wait(timeout=60) == -signal.SIGSEGV
        out = log.read_text(errors="replace")
        assert "Fatal Python error: Segmentation fault" in out and "Thread 0x" in out
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
