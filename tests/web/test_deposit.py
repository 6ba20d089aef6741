"""Nộp lưu from the browser's form (TestClient on the real app: the real ingest pipeline, SQLite,
Tantivy): several files at once into a dossier with shared metadata, each file's outcome in
Vietnamese, and the refusals — no deposit scope, no CSRF token, an unknown or closed dossier,
metadata that cannot be — that store nothing."""

from __future__ import annotations

import lxml.html
import pytest
from apienv import PASSWORD, generated_pdfs

from ingest.declared import DeclaredMetadata, InvalidDeclared


def _bearer(client, name: str) -> dict[str, str]:
    token = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _outcomes(html: str) -> dict[str, tuple[str, str]]:
    doc = lxml.html.fromstring(html)
    return {li.get("data-filename"): (li.get("data-outcome"), li.text_content())
            for li in doc.xpath("//*[@id='outcomes']//li")}


def _count(services) -> int:
    import sqlalchemy as sa

    from archive.catalogue.models import Record

    with services.catalogue.session() as s:
        return s.execute(sa.select(sa.func.count()).select_from(Record)).scalar_one()


def test_an_archivist_deposits_three_files_into_a_dossier_and_reads_each_outcome(web, login, csrf_of, dossier):
    services, client = web
    lan = login("luutruvien")
    page = lan.get("/deposit")
    assert page.status_code == 200 and "Nộp lưu tài liệu" in page.text
    pdfs = generated_pdfs(2031, 2)
    files = [("files", ("tờ trình 1.pdf", pdfs[0][1], "application/pdf")),
             ("files", ("tờ trình 2.pdf", pdfs[1][1], "application/pdf")),
             ("files", ("hỏng.pdf", b"%PDF-1.7 not really a pdf", "application/pdf"))]
    r = lan.post("/deposit", files=files, data={"csrf_token": csrf_of(page.text), "dossier": dossier["code"],
                                                "access_level": "internal", "type_name": "Tờ trình"})
    assert r.status_code == 422  # one file refused
    outcomes = _outcomes(r.text)
    assert {k: v[0] for k, v in outcomes.items()} == {"tờ trình 1.pdf": "ingested", "tờ trình 2.pdf": "ingested",
                                                       "hỏng.pdf": "rejected"}
    assert "bị từ chối" in outcomes["hỏng.pdf"][1] and "đã lưu" in outcomes["tờ trình 1.pdf"][1]
    ids = [a.get("href").rsplit("/", 1)[1] for a in lxml.html.fromstring(r.text).xpath("//*[@id='outcomes']//a")]
    assert len(ids) == 2
    for rid in ids:
        rec = client.get(f"/api/v1/records/{rid}", headers=_bearer(client, "luutruvien")).json()
        assert (rec["dossier_code"], rec["access_level"], rec["type_name"]) == (dossier["code"], "internal", "Tờ trình")
    # the same file again: a duplicate, named, nothing new
    before = _count(services)
    page = lan.get("/deposit")
    again = lan.post("/deposit", files=files[:1], data={"csrf_token": csrf_of(page.text)})
    assert again.status_code == 200 and _outcomes(again.text)["tờ trình 1.pdf"][0] == "duplicate"
    assert _count(services) == before


def test_a_deposit_that_cannot_be_stores_nothing(web, login, csrf_of):
    services, _client = web
    pdf = generated_pdfs(2032, 1)[0][1]
    files = [("files", ("a.pdf", pdf, "application/pdf"))]
    lan = login("luutruvien")
    token = csrf_of(lan.get("/deposit").text)
    before = _count(services)
    unknown = lan.post("/deposit", files=files, data={"csrf_token": token, "dossier": "000.00.00.H26.2026.99.XX"})
    assert unknown.status_code in (404, 422) and "deposit-error" in unknown.text
    bad_date = lan.post("/deposit", files=files, data={"csrf_token": token, "issued_date": "31/02/2026"})
    assert bad_date.status_code == 422 and "Ngày ban hành" in bad_date.text
    with pytest.raises(InvalidDeclared) as caught:  # the message every entry point gives
        DeclaredMetadata.parse({"issued_date": "31/02/2026"})
    assert caught.value.message_vi in bad_date.text
    assert lan.post("/deposit", files=files, data={}).status_code == 403  # no CSRF token
    official = login("canbo")
    assert official.get("/deposit").status_code == 403
    assert official.post("/deposit", files=files, data={"csrf_token": csrf_of(official.get("/search").text)}).status_code == 403
    assert 'href="/deposit"' not in official.get("/search").text
    assert _count(services) == before
