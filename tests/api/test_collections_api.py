"""Fonds and dossiers over HTTP: lists, filters and paging, one fonds or dossier with its retention
decision and counts, the records of a dossier — each trimmed to what the caller may read, with an
invisible dossier or fonds answered exactly like a missing one — and creating them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from apienv import PASSWORD, generated_pdfs

from archive.catalogue.models import AuditEntry

ORGAN, OTHER_ORGAN = "000.00.00.H26", "000.00.00.H40"


@pytest.fixture(scope="module")
def pdfs() -> list[bytes]:
    return [pdf for _spec, pdf in generated_pdfs(4410, 5)]


def _ok(r, status=200):
    assert r.status_code == status, r.text
    return r.json()


def _login(api, name: str, role: str, **kw) -> None:
    api.services.accounts.create_user(name, full_name="Trần Thị Bình", role=role, password=PASSWORD, actor="test",
                                      **kw)
    r = api.client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
    api.tokens[name] = _ok(r)["access_token"]


@pytest.fixture
def holdings(api, pdfs) -> dict:
    """Two fonds. In the first: "mixed" (regime internal) with a public, an internal and a
    restricted record; "closed" (regime restricted) with one restricted record; "empty" (public).
    In the second: one internal dossier with an internal record."""
    f1 = _ok(api.post("quantri", "/api/v1/fonds", json={"organ_id": ORGAN, "name": "Ủy ban nhân dân tỉnh Hà Nam",
                                                       "description": "Phông UBND tỉnh"}), 201)
    f2 = _ok(api.post("quantri", "/api/v1/fonds", json={"organ_id": OTHER_ORGAN, "name": "Sở Nội vụ tỉnh Hà Nam"}),
             201)

    def dossier(fonds, notation, title, regime, year=2024):
        return _ok(api.post("quantri", "/api/v1/dossiers", json={
            "fonds_id": fonds["id"], "year": year, "notation": notation, "title": title, "access_regime": regime}), 201)

    mixed = dossier(f1, "01.VP", "Hồ sơ Công văn đi năm 2024", "internal")
    closed = dossier(f1, "02.TCCB", "Hồ sơ nhân sự cán bộ lãnh đạo", "restricted")
    empty = dossier(f1, "03.VP", "Hồ sơ hội nghị công tác văn thư", "public", year=2023)
    other = dossier(f2, "01.NV", "Hồ sơ công văn của Sở Nội vụ", "internal")

    def put(pdf, d, level):
        return api.deposit(pdf, who="quantri", dossier=d["code"], access_level=level)["record_id"]

    recs = {"public": put(pdfs[0], mixed, "public"), "internal": put(pdfs[1], mixed, "internal"),
            "restricted": put(pdfs[2], mixed, "restricted"), "closed": put(pdfs[3], closed, "restricted"),
            "other": put(pdfs[4], other, "internal")}
    api.services.archive.run_pending_tasks()
    return {"f1": f1, "f2": f2, "mixed": mixed, "closed": closed, "empty": empty, "other": other, "records": recs}


def test_counts_and_lists_only_count_what_the_caller_may_read(api, holdings):
    """GIVEN dossiers holding records at several access levels WHEN a public-only official, an
    official, an archivist and an administrator list and open them THEN each sees only the dossiers
    they may see and every count and record list holds only the records they may read."""
    h = holdings
    mixed = f"/api/v1/dossiers/{h['mixed']['id']}"
    expected = {"canbo_congkhai": 1, "canbo": 2, "luutruvien": 3, "quantri": 3}
    for who, n in expected.items():
        d = _ok(api.get(who, mixed))
        assert d["records"] == n, who
        listed = _ok(api.get(who, f"{mixed}/records"))
        assert listed["total"] == n and len(listed["items"]) == n, who
        assert {r["id"] for r in listed["items"]} <= set(h["records"].values())
    only_public = _ok(api.get("canbo_congkhai", f"{mixed}/records"))["items"]
    assert [r["id"] for r in only_public] == [h["records"]["public"]] and only_public[0]["access_level"] == "public"

    # a dossier of restricted regime and records is invisible to officials: 404 like a missing one
    closed = f"/api/v1/dossiers/{h['closed']['id']}"
    for who in ("canbo", "canbo_congkhai"):
        for url in (closed, f"{closed}/records"):
            r = api.get(who, url)
            missing = api.get(who, url.replace(h["closed"]["id"], "00000000-0000-4000-8000-000000000000"))
            assert r.status_code == missing.status_code == 404
            assert {k: v for k, v in r.json().items() if k not in ("detail", "detail_vi", "instance")} == {
                k: v for k, v in missing.json().items() if k not in ("detail", "detail_vi", "instance")}
    assert _ok(api.get("luutruvien", closed))["records"] == 1

    # lists and fonds counts
    def codes(who, **params):
        return {d["id"] for d in _ok(api.get(who, "/api/v1/dossiers", params=params))["items"]}

    ids = {k: h[k]["id"] for k in ("mixed", "closed", "empty", "other")}
    assert codes("canbo_congkhai") == {ids["mixed"], ids["empty"]}
    assert codes("canbo") == {ids["mixed"], ids["empty"], ids["other"]}
    assert codes("luutruvien") == set(ids.values())
    f1 = f"/api/v1/fonds/{h['f1']['id']}"
    assert {k: _ok(api.get(k, f1))[f] for k in ("canbo_congkhai", "canbo", "luutruvien") for f in ("dossiers",)} == {
        "canbo_congkhai": 2, "canbo": 2, "luutruvien": 3}
    assert [_ok(api.get(k, f1))["records"] for k in ("canbo_congkhai", "canbo", "luutruvien")] == [1, 2, 4]
    fonds = _ok(api.get("canbo", "/api/v1/fonds"))
    assert fonds["total"] == 2 and {f["organ_id"]: f["records"] for f in fonds["items"]} == {ORGAN: 2, OTHER_ORGAN: 1}


def test_fonds_limits_and_dossier_grants(api, holdings):
    """GIVEN an official limited to the second fonds, and one granted the restricted dossier WHEN
    they read THEN the first fonds and its dossiers are 404 to the first (and absent from lists),
    and the granted dossier with its record is readable by the second."""
    h = holdings
    _login(api, "sonoivu", "official", fonds_ids=[h["f2"]["id"]])
    assert [f["id"] for f in _ok(api.get("sonoivu", "/api/v1/fonds"))["items"]] == [h["f2"]["id"]]
    assert api.get("sonoivu", f"/api/v1/fonds/{h['f1']['id']}").status_code == 404
    assert api.get("sonoivu", f"/api/v1/dossiers/{h['mixed']['id']}").status_code == 404
    assert [d["id"] for d in _ok(api.get("sonoivu", "/api/v1/dossiers"))["items"]] == [h["other"]["id"]]
    assert _ok(api.get("sonoivu", f"/api/v1/fonds/{h['f2']['id']}"))["records"] == 1

    _login(api, "thanhtra", "official", dossier_ids=[h["closed"]["id"]])
    d = _ok(api.get("thanhtra", f"/api/v1/dossiers/{h['closed']['id']}"))
    assert d["records"] == 1
    assert [r["id"] for r in _ok(api.get("thanhtra", f"/api/v1/dossiers/{h['closed']['id']}/records"))["items"]] == [
        h["records"]["closed"]]

    # the denials are audited like record denials
    with api.services.catalogue.session() as s:
        rows = s.execute(sa.select(AuditEntry.actor, AuditEntry.outcome, AuditEntry.address).where(
            AuditEntry.action == "dossier.view", AuditEntry.target_id == h["mixed"]["id"])).all()
    assert ("user:sonoivu", "denied", "testclient") in {tuple(r) for r in rows}


def test_filters_paging_and_the_retention_state(api, holdings):
    """GIVEN the holdings WHEN dossiers are filtered by fonds, year and words of the title and paged
    THEN the answers are exact; a dossier shows its retention decision and due date once decided."""
    h = holdings
    q = _ok(api.get("luutruvien", "/api/v1/dossiers", params={"q": "công văn"}))
    assert {d["id"] for d in q["items"]} == {h["mixed"]["id"], h["other"]["id"]}
    assert _ok(api.get("luutruvien", "/api/v1/dossiers", params={"q": "CÔNG VĂN ĐI"}))["total"] == 1
    assert [d["id"] for d in _ok(api.get("luutruvien", "/api/v1/dossiers", params={"year": 2023}))["items"]] == [
        h["empty"]["id"]]
    assert _ok(api.get("luutruvien", "/api/v1/dossiers", params={"fonds": h["f2"]["id"]}))["total"] == 1
    assert _ok(api.get("luutruvien", "/api/v1/dossiers", params={"q": "100%_"}))["total"] == 0  # wildcards are literal
    pages = [_ok(api.get("luutruvien", "/api/v1/dossiers", params={"fonds": h["f1"]["id"], "size": 2, "page": p}))
             for p in (1, 2)]
    assert [p["total"] for p in pages] == [3, 3] and [len(p["items"]) for p in pages] == [2, 1]
    assert len({d["id"] for p in pages for d in p["items"]}) == 3
    # pages are at most LUUTRU_API__MAX_PAGE_SIZE (100)
    assert api.get("luutruvien", "/api/v1/dossiers", params={"size": 101}).status_code == 422

    d = _ok(api.get("luutruvien", f"/api/v1/dossiers/{h['mixed']['id']}"))
    assert d["assignment"] is None and d["due_date"] is None
    _ok(api.post("luutruvien", "/api/v1/retention/assignments", json={
        "target_type": "dossier", "target_id": h["mixed"]["id"], "schedule_code": "vn-system", "item_code": "HUY",
        "reason": "Giữ vĩnh viễn theo quyết định của lãnh đạo"}))
    d = _ok(api.get("canbo", f"/api/v1/dossiers/{h['mixed']['id']}"))
    assert d["permanent"] is True and d["retention"] == "Vĩnh viễn" and d["assignment"]["method"] == "manual"
    assert d["records_disposed"] == 0


def test_creating_fonds_and_dossiers(api, holdings):
    """GIVEN the holdings WHEN fonds and dossiers are created THEN officials are refused (403), an
    existing agency or dossier code is a conflict (409), an unknown fonds is 404, a malformed agency
    identifier 422, and a caller limited to some fonds may not open a new fonds."""
    h = holdings
    body = {"fonds_id": h["f1"]["id"], "year": 2025, "notation": "05.KH", "title": "Hồ sơ kế hoạch năm 2025"}
    assert api.post("canbo", "/api/v1/dossiers", json=body).status_code == 403
    created = _ok(api.post("luutruvien", "/api/v1/dossiers", json=body), 201)
    assert created["code"] == f"{ORGAN}.2025.05.KH" and created["status"] == "open" and created["records"] == 0
    assert api.post("luutruvien", "/api/v1/dossiers", json=body).status_code == 409
    missing = {**body, "fonds_id": "00000000-0000-4000-8000-000000000000"}
    assert api.post("luutruvien", "/api/v1/dossiers", json=missing).status_code == 404
    assert api.post("qlvb", "/api/v1/dossiers", json={**body, "notation": "06.KH"}).status_code == 201  # deposit system
    assert api.post("luutruvien", "/api/v1/fonds", json={"organ_id": ORGAN, "name": "Trùng"}).status_code == 409
    assert api.post("luutruvien", "/api/v1/fonds", json={"organ_id": "H26", "name": "Sai mã"}).status_code == 422
    _login(api, "luutru.so", "archivist", fonds_ids=[h["f2"]["id"]])
    r = api.post("luutru.so", "/api/v1/fonds", json={"organ_id": "000.00.00.H41", "name": "Sở Tư pháp"})
    assert r.status_code == 403 and r.json()["detail_vi"]
    assert api.post("luutru.so", "/api/v1/dossiers", json={**body, "notation": "07.KH"}).status_code == 404
    with api.services.catalogue.session() as s:
        made = s.execute(sa.select(AuditEntry.actor, AuditEntry.client).where(
            AuditEntry.action == "api.dossier.create", AuditEntry.outcome == "success")).all()
    assert ("client:qlvb", "qlvb") in {tuple(r) for r in made}
