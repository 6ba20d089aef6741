"""The holdings browser (fonds → year → dossier) and filing unfiled records, over HTTP on the real
app: what is listed equals the API's answer for the same person, an invisible dossier is the one
404, and filing goes through the API's own rule (deposit scope, a reason, all or nothing)."""

from __future__ import annotations

import lxml.html
from apienv import PASSWORD


def _bearer(client, name: str) -> dict[str, str]:
    token = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _ids(html: str, list_id: str) -> list[str]:
    return [a.get("data-id") for a in lxml.html.fromstring(html).xpath(f"//*[@id='{list_id}']//a[@data-id]")]


def test_fonds_year_dossier_and_filing(web, login, records, dossier, csrf_of):
    """GIVEN a fonds with one open dossier and unfiled records WHEN an archivist walks fonds → year
    → dossier and files two records with a reason THEN each level lists what the API lists, and the
    two records are in the dossier with the reason in their history; without a reason, nothing moves."""
    _services, client = web
    lan = login("luutruvien")
    bearer = _bearer(client, "luutruvien")
    fonds = lan.get("/holdings")
    assert _ids(fonds.text, "fonds") == [f["id"] for f in client.get("/api/v1/fonds", headers=bearer).json()["items"]]
    year_page = lan.get(f"/holdings/{dossier['fonds_id']}")
    assert 'data-year="2026"' in year_page.text
    assert _ids(year_page.text, "dossiers") == [dossier["id"]]
    page = lan.get(f"/dossiers/{dossier['code']}")  # by its mã hồ sơ
    assert page.status_code == 200 and "Đang lập" in page.text
    unfiled = [i.get("value") for i in lxml.html.fromstring(page.text).xpath("//input[@name='records']")]
    assert set(unfiled) == {records[level] for level in ("public", "internal", "restricted")}  # not the secret one
    chosen = [records["public"], records["internal"]]
    refused = lan.post(f"/dossiers/{dossier['id']}/file", data={"records": chosen, "reason": "",
                                                                "csrf_token": csrf_of(page.text)})
    assert refused.status_code == 422 and "Cần ghi lý do" in refused.text
    assert client.get(f"/api/v1/records/{chosen[0]}", headers=bearer).json()["dossier_code"] is None
    done = lan.post(f"/dossiers/{dossier['id']}/file", data={"records": chosen, "reason": "Sắp xếp hồ sơ năm 2026",
                                                             "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert done.status_code == 303
    after = lan.get(done.headers["location"])
    api = client.get(f"/api/v1/dossiers/{dossier['id']}/records", headers=bearer).json()
    assert _ids(after.text, "dossier-records") == [r["id"] for r in api["items"]]
    assert set(_ids(after.text, "dossier-records")) == set(chosen)
    for rid in chosen:
        assert client.get(f"/api/v1/records/{rid}", headers=bearer).json()["dossier_code"] == dossier["code"]


def test_an_official_browses_but_cannot_file_and_an_unseen_dossier_is_the_one_404(web, login, records, dossier,
                                                                                   csrf_of):
    _services, _client = web
    official = login("canbo_congkhai")  # public only: the internal dossier with no public record is not theirs
    missing = official.get("/dossiers/00000000-0000-4000-8000-000000000000")
    hidden = official.get(f"/dossiers/{dossier['id']}")
    assert (hidden.status_code, hidden.text.replace(dossier["id"], "X")) == \
        (missing.status_code, missing.text.replace("00000000-0000-4000-8000-000000000000", "X")) and missing.status_code == 404
    canbo = login("canbo")  # internal: sees the dossier, may not file
    page = canbo.get(f"/dossiers/{dossier['id']}")
    assert page.status_code == 200 and 'id="filing-form"' not in page.text
    r = canbo.post(f"/dossiers/{dossier['id']}/file", data={"records": [records["public"]], "reason": "thử",
                                                             "csrf_token": csrf_of(page.text)})
    assert r.status_code == 403
    assert canbo.post(f"/dossiers/{dossier['id']}/file", data={"records": [records["public"]], "reason": "x"}).status_code == 403


def test_a_dossier_is_read_page_by_page_and_as_its_muc_luc_van_ban(web, login, records, dossier, csrf_of):
    """GIVEN a dossier holding the public, internal and restricted records, and pages of 2 WHEN an
    archivist (who may read all three) and an official (not the restricted one) open it THEN the
    page says how many records the person may read and the pages hold them all, in the API's order
    (the page used to show the first 100 and say nothing of the rest); the Mục lục văn bản, CSV and
    XLSX, lists every one of them numbered from 1 with Vietnamese headers and dd/mm/yyyy dates; the
    official's list leaves the restricted record out, its number too, and a reader of public records
    gets the public one; a missing dossier is the one 404 page; each download is audited with its
    format and number of lines."""
    import csv
    import io
    import re

    import openpyxl
    import sqlalchemy as sa

    from archive.catalogue.models import AuditEntry

    services, client = web
    lan = login("luutruvien")
    page = lan.get(f"/dossiers/{dossier['id']}")
    chosen = [records[level] for level in ("public", "internal", "restricted")]
    done = lan.post(f"/dossiers/{dossier['id']}/file", data={"records": chosen, "reason": "Lập hồ sơ năm 2026",
                                                             "csrf_token": csrf_of(page.text)})
    assert done.status_code == 303, done.text
    services.settings.api.max_page_size = 2
    bearer = _bearer(client, "luutruvien")
    api_order = [r for p in (1, 2) for r in client.get(f"/api/v1/dossiers/{dossier['id']}/records?page={p}&size=2",
                                                       headers=bearer).json()["items"]]
    assert {r["id"] for r in api_order} == set(chosen)

    first = lan.get(f"/dossiers/{dossier['id']}")
    assert "(3 văn bản)" in first.text and "Trang 1/2" in first.text
    nxt = lxml.html.fromstring(first.text).xpath("//nav[@id='records-pager']//a[@rel='next']/@href")
    second = lan.get(nxt[0])
    assert "Trang 2/2" in second.text and 'rel="prev"' in second.text and 'rel="next"' not in second.text
    assert _ids(first.text, "dossier-records") + _ids(second.text, "dossier-records") == [r["id"] for r in api_order]
    assert 'start="3"' in second.text  # the list's numbers go on from the first page's

    got = lan.get(f"/dossiers/{dossier['id']}/muc-luc.csv")
    assert got.status_code == 200 and got.content.startswith(b"\xef\xbb\xbf")
    assert got.headers["content-disposition"] == f'attachment; filename="muc-luc-van-ban-{dossier["code"]}.csv"'
    table = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert table[0] == ["STT", "Số, ký hiệu văn bản", "Ngày tháng năm văn bản", "Tên loại và trích yếu nội dung văn bản",
                        "Tác giả văn bản", "Số trang", "Ghi chú"]
    assert [row[0] for row in table[1:]] == ["1", "2", "3"]
    assert [row[1] or None for row in table[1:]] == [r["so_ky_hieu"] for r in api_order]
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4}", row[2]) for row in table[1:] if row[2])
    restricted = next(row for row, r in zip(table[1:], api_order, strict=True) if r["id"] == records["restricted"])
    assert restricted[6] == "Mức tiếp cận: Hạn chế"

    book = openpyxl.load_workbook(io.BytesIO(lan.get(f"/dossiers/{dossier['id']}/muc-luc.xlsx").content))
    sheet = book.active
    lines = [[c.value for c in row] for row in sheet.iter_rows()]
    assert lines[0][0] == "MỤC LỤC VĂN BẢN" and lines[1][0] == f"Hồ sơ số: {dossier['code']} — Hồ sơ thử nghiệm"
    header = next(i for i, line in enumerate(lines) if line[0] == "STT")
    assert sheet.freeze_panes == f"A{header + 2}"
    assert [line[0] for line in lines[header + 1:]] == [1, 2, 3]
    dated = [sheet.cell(row=header + 2 + i, column=3) for i in range(3) if lines[header + 1 + i][2] is not None]
    assert dated and all(c.number_format == "dd/mm/yyyy" for c in dated)

    canbo = login("canbo")
    theirs = list(csv.reader(io.StringIO(canbo.get(f"/dossiers/{dossier['id']}/muc-luc.csv").content.decode("utf-8-sig"))))
    assert [row[0] for row in theirs[1:]] == ["1", "2"]
    assert [row[1] or None for row in theirs[1:]] == [r["so_ky_hieu"] for r in api_order
                                                      if r["id"] != records["restricted"]]
    assert "(2 văn bản)" in canbo.get(f"/dossiers/{dossier['id']}").text
    public_only = login("canbo_congkhai").get(f"/dossiers/{dossier['id']}/muc-luc.csv").content.decode("utf-8-sig")
    assert [row[0] for row in csv.reader(io.StringIO(public_only))][1:] == ["1"]  # the public record only
    missing = lan.get("/dossiers/00000000-0000-4000-8000-000000000000/muc-luc.csv")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    assert lan.get(f"/dossiers/{dossier['id']}/muc-luc.pdf").status_code == 404

    with services.catalogue.session() as s:
        audited = s.execute(sa.select(AuditEntry).where(AuditEntry.action == "dossier.listing")
                            .order_by(AuditEntry.id)).scalars().all()
        assert [(e.outcome, (e.detail or {}).get("format"), (e.detail or {}).get("total")) for e in audited
                if e.outcome == "success"] == [("success", "csv", 3), ("success", "xlsx", 3), ("success", "csv", 2),
                                               ("success", "csv", 1)]
        assert any(e.outcome != "success" for e in audited)  # the missing one is in the log too


def test_a_year_with_more_dossiers_than_a_page_shows_them_all_page_by_page(web, login, dossier):
    """GIVEN three dossiers of 2026 in a fonds and pages of 2 WHEN the archivist opens the fonds
    THEN the year says 3 and its pages hold the three, as the API lists them (only the first page's
    used to be shown); the year's Mục lục hồ sơ lists the three, and none for a reader of public
    records only, who may see none of these internal dossiers."""
    services, client = web
    admin = _bearer(client, "quantri")
    for n in (2, 3):
        r = client.post("/api/v1/dossiers", headers=admin, json={
            "fonds_id": dossier["fonds_id"], "year": 2026, "notation": f"0{n}.VP", "title": f"Hồ sơ số {n}",
            "access_regime": "internal"})
        assert r.status_code == 201, r.text
    services.settings.api.max_page_size = 2
    lan = login("luutruvien")
    first = lan.get(f"/holdings/{dossier['fonds_id']}?year=2026")
    assert 'id="dossiers-total">(3)' in first.text and "Trang 1/2" in first.text
    nxt = lxml.html.fromstring(first.text).xpath("//nav[@id='dossiers-pager']//a[@rel='next']/@href")
    assert nxt == [f"/holdings/{dossier['fonds_id']}?year=2026&page=2"]
    second = lan.get(nxt[0])
    api = [d["id"] for p in (1, 2) for d in client.get(
        f"/api/v1/dossiers?fonds={dossier['fonds_id']}&year=2026&page={p}&size=2", headers=_bearer(client, "luutruvien")
    ).json()["items"]]
    assert _ids(first.text, "dossiers") + _ids(second.text, "dossiers") == api and len(set(api)) == 3
    assert lan.get(f"/holdings/{dossier['fonds_id']}?year=2026&page=abc").status_code == 200  # a bad number: page 1

    # the Mục lục hồ sơ of the year: the three, numbered, in the page's order, with the fonds above in XLSX
    import csv
    import io

    import openpyxl

    got = lan.get(f"/holdings/{dossier['fonds_id']}/muc-luc-ho-so.csv?year=2026")
    assert got.status_code == 200 and got.content.startswith(b"\xef\xbb\xbf")
    assert got.headers["content-disposition"] == 'attachment; filename="muc-luc-ho-so-000.00.00.H26-2026.csv"'
    table = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert table[0][:4] == ["STT", "Số và ký hiệu hồ sơ", "Mã hồ sơ", "Tiêu đề hồ sơ"]
    assert [row[0] for row in table[1:]] == ["1", "2", "3"]
    assert [row[1] for row in table[1:]] == ["01.VP", "02.VP", "03.VP"] and {row[9] for row in table[1:]} == {"Đang lập"}
    book = openpyxl.load_workbook(io.BytesIO(lan.get(f"/holdings/{dossier['fonds_id']}/muc-luc-ho-so.xlsx?year=2026").content))
    lines = [[c.value for c in row] for row in book.active.iter_rows()]
    assert lines[0][0] == "MỤC LỤC HỒ SƠ" and lines[1][0] == "Phông: Ủy ban nhân dân tỉnh Hà Nam (000.00.00.H26)"
    assert [line[0] for line in lines[lines.index(next(x for x in lines if x[0] == "STT")) + 1:]] == [1, 2, 3]
    # a year with nothing, or a reader who may see none of these internal dossiers: the headers alone;
    # no year, another format, a missing fonds: the one 404
    assert lan.get(f"/holdings/{dossier['fonds_id']}/muc-luc-ho-so.csv?year=1999").content.count(b"\r\n") == 1
    public_only = login("canbo_congkhai").get(f"/holdings/{dossier['fonds_id']}/muc-luc-ho-so.csv?year=2026")
    assert public_only.status_code == 200 and public_only.content.count(b"\r\n") == 1
    assert lan.get(f"/holdings/{dossier['fonds_id']}/muc-luc-ho-so.csv").status_code == 404
    assert lan.get(f"/holdings/{dossier['fonds_id']}/muc-luc-ho-so.pdf?year=2026").status_code == 404
    assert lan.get("/holdings/00000000-0000-4000-8000-000000000000/muc-luc-ho-so.csv?year=2026").status_code == 404
