"""The retention and disposal pages and the council's ballots, on the real app (embedded default,
TestClient): each page, each form, and each refusal — a form without its CSRF token, a person
without the scope (no button, and the POST refused with the 403 page), a council member not on the
batch's council, the proposer approving or destroying (two-person rule, the API's Vietnamese
message), a held dossier not destroyed. The state is built over the HTTP API (``disposalenv``)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from apienv import PASSWORD
from disposalenv import prepare, token
from hypothesis import given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def due(web):
    """The archive ready for a proposal; the approver is the administrator (another person)."""
    services, client = web
    services.accounts.create_user("hoidong4", full_name="Đỗ Thị Mai", role="council", password=PASSWORD,
                                  actor="test")
    ctx = prepare(client, token(client, "luutruvien", PASSWORD), token(client, "quantri", PASSWORD))
    services.archive.run_pending_tasks()
    return ctx


def _form(html: str, form_id: str) -> bool:
    return f'id="{form_id}"' in html


def _propose(lan, csrf_of, due) -> str:
    page = lan.get("/retention/due")
    r = lan.post("/retention/sweep", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 200 and 'id="swept"' in r.text, r.text
    assert due["A"] in r.text and due["B"] in r.text
    r = lan.post("/disposals", data={"csrf_token": csrf_of(r.text), "title": "Hủy tài liệu hết giá trị năm 2026",
                                     "explanation": "Các hồ sơ năm 2012–2013 đã hết thời hạn bảo quản",
                                     "dossiers": [due["A"], due["B"]], "council": ["hoidong1", "hoidong2", "hoidong3"]})
    assert r.status_code == 303, r.text
    assert re.fullmatch(r"/disposals/\d+-\d{4}", r.headers["location"]), r.headers["location"]
    return r.headers["location"].rsplit("/", 1)[1]


def _vote(member, csrf_of, slug: str, vote: str, dossier: str | None = None, opinion: str = "") -> object:
    page = member.get(f"/ballots/{slug}")
    assert page.status_code == 200, page.text
    return member.post(f"/ballots/{slug}/vote", data={"csrf_token": csrf_of(page.text), "vote": vote,
                                                      "dossier": dossier or "", "opinion": opinion})


def _review(lan, csrf_of, slug: str, due) -> None:
    page = lan.get(f"/disposals/{slug}")
    assert _form(page.text, "review-form")
    r = lan.post(f"/disposals/{slug}/review", data={"csrf_token": csrf_of(page.text), "minutes": due["minutes"]})
    assert r.status_code == 303, r.text


def test_who_sees_what_and_forbidden_posts_are_refused(web, login, csrf_of, due):
    """GIVEN an official, an archivist and a council member WHEN they open the retention pages THEN
    the official and the council member get the one 404 and no link; a form sent anyway is the 403
    page and changes nothing; the ballots are the council's only."""
    canbo, lan, hd = login("canbo"), login("luutruvien"), login("hoidong1")
    search = canbo.get("/search").text
    assert "/retention/due" not in search and "/ballots" not in search
    assert "/retention/due" in lan.get("/search").text and 'href="/ballots"' not in lan.get("/search").text
    assert 'href="/ballots"' in hd.get("/search").text and "/retention/due" not in hd.get("/search").text
    for url in ("/retention/due", "/retention/holds", "/retention/schedules", "/retention/schedules/vn-sample",
                "/disposals", "/disposals/1-2026", "/retention/destroyed.csv"):
        for person in (canbo, hd):
            r = person.get(url)
            assert r.status_code == 404 and "Không tìm thấy" in r.text, (url, r.status_code)
        assert lan.get(url).status_code in (200, 404 if "1-2026" in url else 200), url
    assert canbo.get("/ballots").status_code == 404 and lan.get("/ballots").status_code == 404
    csrf = csrf_of(canbo.get("/search").text)
    for url, data in (("/retention/sweep", {}), ("/retention/holds", {"kind": "dossier", "codes": due["A"],
                                                                      "authority": "x", "reason": "y"}),
                      ("/disposals", {"title": "x", "explanation": "y", "dossiers": [due["A"]]}),
                      ("/disposals/1-2026/approve", {"decision": due["decision"]}),
                      ("/disposals/1-2026/destroy", {}), ("/ballots/1-2026/vote", {"vote": "approve"})):
        r = canbo.post(url, data={**data, "csrf_token": csrf})
        assert r.status_code == 403 and 'id="forbidden"' in r.text, (url, r.status_code, r.text[:300])
    page = lan.get("/retention/due").text
    assert 'id="propose-form"' not in page and 'class="hold"' not in lan.get("/retention/holds").text


def test_a_post_without_the_csrf_token_is_refused(web, login, due):
    """GIVEN an archivist's session WHEN a sweep, a hold or a vote is posted without the page's token
    (another site's form) THEN 403 and nothing happened."""
    lan, hd = login("luutruvien"), login("hoidong1")
    for person, url, data in ((lan, "/retention/sweep", {}), (lan, "/retention/holds", {
            "kind": "dossier", "codes": due["A"], "authority": "Thanh tra", "reason": "Đang thanh tra"}),
            (lan, "/disposals", {"title": "x", "explanation": "y"}), (hd, "/ballots/1-2026/vote", {"vote": "approve"})):
        r = person.post(url, data=data)
        assert r.status_code == 403 and 'id="forbidden"' not in r.text, url
        r = person.post(url, data={**data, "csrf_token": "0" * 64})
        assert r.status_code == 403, url
    assert 'id="propose-form"' not in lan.get("/retention/due").text
    assert 'class="hold"' not in lan.get("/retention/holds").text


def test_the_whole_procedure_through_the_pages(web, login, csrf_of, due):
    """GIVEN two dossiers due WHEN the archivist sweeps and proposes, the council votes per dossier
    (one dissent, with a comment) and on the whole list, a non-member tries, the review is closed,
    the proposer tries to approve and to destroy, another person approves, previews and destroys
    THEN every refusal is the API's, the batch page shows the votes, the minutes and the register,
    and the destroyed records are gone from the official's search at once."""
    services, client = web
    lan, hd1, hd2, hd3, hd4, boss = (login(n) for n in ("luutruvien", "hoidong1", "hoidong2", "hoidong3",
                                                         "hoidong4", "quantri"))
    canbo = login("canbo")
    before = canbo.get("/search", params={"q": due["skh"]["a1"]}).text
    assert f'data-id="{due["ids"]["a1"]}"' in before
    slug = _propose(lan, csrf_of, due)

    # ballots: pending for members only; a non-member gets 404 to read and 403 to vote
    assert slug in hd1.get("/ballots").text and slug not in hd4.get("/ballots").text
    assert hd4.get(f"/ballots/{slug}").status_code == 404
    csrf4 = csrf_of(hd4.get("/ballots").text)
    assert hd4.post(f"/ballots/{slug}/vote", data={"csrf_token": csrf4, "vote": "approve"}).status_code == 403
    r = _vote(hd1, csrf_of, slug, "approve", due["A"])
    assert r.status_code == 303
    r = _vote(hd1, csrf_of, slug, "reject", due["B"], "Cần giữ để đối chiếu")
    assert r.status_code == 303
    assert _vote(hd1, csrf_of, slug, "maybe", due["A"]).status_code == 422
    page = hd1.get(f"/ballots/{slug}").text
    assert "Cần giữ để đối chiếu" in page and "Không đồng ý" in page
    assert _vote(hd2, csrf_of, slug, "approve").status_code == 303  # the whole list at once
    assert _vote(hd3, csrf_of, slug, "approve").status_code == 303
    batch = lan.get(f"/disposals/{slug}").text
    row_b = batch.split(f'data-dossier="{due["B"]}"')[1].split("</tr>")[0]
    assert "Nguyễn Văn Hoidong1: Không đồng ý — «Cần giữ để đối chiếu»" in row_b
    assert "Nguyễn Văn Hoidong2: Đồng ý hủy" in row_b and "2 thành viên đồng ý" in row_b

    # the council's review: both dossiers have a majority (2 of 3 for B)
    _review(lan, csrf_of, slug, due)
    # the proposer: no approval form, and a POST anyway is the service's two-person refusal
    page = lan.get(f"/disposals/{slug}").text
    assert not _form(page, "approve-form") and 'id="two-person"' in page
    r = lan.post(f"/disposals/{slug}/approve", data={"csrf_token": csrf_of(page), "decision": due["decision"]})
    assert r.status_code == 409 and "Người quyết định hủy không được là người đề nghị hủy" in r.text
    # a decision that does not exist: the API's 404 message, nothing approved
    page = boss.get(f"/disposals/{slug}").text
    assert _form(page, "approve-form")
    r = boss.post(f"/disposals/{slug}/approve", data={"csrf_token": csrf_of(page), "decision": "999/QĐ-KHONGCO"})
    assert r.status_code == 404 and "999/QĐ-KHONGCO" in r.text
    r = boss.post(f"/disposals/{slug}/approve", data={"csrf_token": csrf_of(page), "decision": due["decision"]})
    assert r.status_code == 303, r.text

    # dry run first: the records listed, nothing destroyed; the proposer has no button and is refused
    preview = lan.get(f"/disposals/{slug}/destroy")
    assert preview.status_code == 200 and not _form(preview.text, "destroy-form")
    r = lan.post(f"/disposals/{slug}/destroy", data={"csrf_token": csrf_of(preview.text)})
    assert r.status_code == 409 and "Người đề nghị hủy không được tự thực hiện việc hủy" in r.text
    preview = boss.get(f"/disposals/{slug}/destroy").text
    for key in ("a1", "b1"):
        assert f'data-id="{due["ids"][key]}"' in preview
    assert client.get(f"/api/v1/records/{due['ids']['a1']}", headers=token(client, "quantri", PASSWORD)) \
        .json()["status"] == "active"
    r = boss.post(f"/disposals/{slug}/destroy", data={"csrf_token": csrf_of(preview)})
    assert r.status_code == 303 and r.headers["location"].endswith("?destroyed=2"), r.text
    services.archive.run_pending_tasks()

    page = lan.get(f"/disposals/{slug}").text
    assert 'data-state="destroyed"' in page and "01/BB-HTL" in page
    minutes = re.search(r'href="(/records/[0-9a-f-]+/download)" id="minutes-download"', page).group(1)
    pdf = lan.get(minutes)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    reg = lan.get(f"/retention/destroyed.csv?batch={slug}")
    assert reg.status_code == 200 and reg.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(reg.content.decode("utf-8-sig"))))
    assert sorted(r["Số, ký hiệu văn bản"] for r in rows) == sorted(due["skh"].values())
    xlsx = lan.get(f"/retention/destroyed.xlsx?batch={slug}")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    after = canbo.get("/search", params={"q": due["skh"]["a1"]}).text
    assert f'data-id="{due["ids"]["a1"]}"' not in after
    # every step is on record, with the person
    actions = {e["action"] for e in client.get("/api/v1/audit", headers=token(client, "quantri", PASSWORD),
                                               params={"action": "api.disposal.", "size": 100}).json()["items"]}
    assert {"api.disposal.propose", "api.disposal.vote", "api.disposal.review", "api.disposal.approve",
            "api.disposal.destroy", "api.disposal.destroyed"} <= actions


def test_a_held_dossier_is_not_destroyed(web, login, csrf_of, due):
    """GIVEN an approved batch WHEN a hold is placed on one dossier by its code from the holds page
    THEN the destruction is refused with the API's message and nothing is destroyed; taking the held
    records out destroys only the other dossier; the hold is released with a reason."""
    _services, client = web
    lan, boss = login("luutruvien"), login("quantri")
    slug = _propose(lan, csrf_of, due)
    for n in ("hoidong1", "hoidong2", "hoidong3"):
        assert _vote(login(n), csrf_of, slug, "approve").status_code == 303
    _review(lan, csrf_of, slug, due)
    page = boss.get(f"/disposals/{slug}").text
    assert boss.post(f"/disposals/{slug}/approve", data={"csrf_token": csrf_of(page),
                                                        "decision": due["decision"]}).status_code == 303
    holds = lan.get("/retention/holds").text
    r = lan.post("/retention/holds", data={"csrf_token": csrf_of(holds), "kind": "dossier", "codes": "000.00.00.H26.2099.01.VP",
                                           "authority": "Thanh tra tỉnh", "reason": "Đang thanh tra"})
    assert r.status_code == 404 and "Không tìm thấy hồ sơ 000.00.00.H26.2099.01.VP" in r.text
    r = lan.post("/retention/holds", data={"csrf_token": csrf_of(holds), "kind": "dossier", "codes": due["A"].lower(),
                                           "authority": "Thanh tra tỉnh", "reason": "Đang thanh tra"})
    assert r.status_code == 200 and 'id="placed"' in r.text and due["A"] in r.text
    preview = boss.get(f"/disposals/{slug}/destroy").text
    assert "Bị phong tỏa" in preview or "bị phong tỏa" in preview
    r = boss.post(f"/disposals/{slug}/destroy", data={"csrf_token": csrf_of(preview)})
    assert r.status_code == 409 and "phong tỏa" in r.text
    admin = token(client, "quantri", PASSWORD)
    for key in ("a1", "b1"):
        assert client.get(f"/api/v1/records/{due['ids'][key]}", headers=admin).json()["status"] == "active"
    r = boss.post(f"/disposals/{slug}/destroy", data={"csrf_token": csrf_of(preview), "exclude_held": "1"})
    assert r.status_code == 303, r.text
    assert client.get(f"/api/v1/records/{due['ids']['a1']}", headers=admin).json()["status"] == "active"
    assert client.get(f"/api/v1/records/{due['ids']['b1']}", headers=admin).json()["status"] == "disposed"
    holds = lan.get("/retention/holds").text
    hold_id = re.search(r'class="hold" data-id="([0-9a-f-]+)"', holds).group(1)
    r = lan.post(f"/retention/holds/{hold_id}/release", data={"csrf_token": csrf_of(holds), "reason": ""})
    assert r.status_code == 422 and "lý do" in r.text
    r = lan.post(f"/retention/holds/{hold_id}/release", data={"csrf_token": csrf_of(holds),
                                                              "reason": "Đã kết thúc thanh tra"})
    assert r.status_code == 303
    assert "Đã kết thúc thanh tra" in lan.get("/retention/holds").text


def test_holds_by_fonds_and_record_codes_schedules_and_assignment(web, login, csrf_of, due):
    """GIVEN the archive WHEN the archivist places holds by fonds code and by số ký hiệu, opens the
    schedules and assigns a rule to a dossier by its code THEN each is named by its code on the
    page and the assignment moves the dossier's due date (refusals in Vietnamese)."""
    lan = login("luutruvien")
    holds = lan.get("/retention/holds").text
    for kind, code in (("fonds", due["ORGAN"]), ("record", due["skh"]["b1"])):
        r = lan.post("/retention/holds", data={"csrf_token": csrf_of(holds), "kind": kind, "codes": code,
                                               "authority": "Tòa án nhân dân tỉnh", "reason": "Vụ án"})
        assert r.status_code == 200 and 'id="placed"' in r.text, r.text
        assert code in r.text
    r = lan.post("/retention/holds", data={"csrf_token": csrf_of(holds), "kind": "record", "codes": "1/KHONG-CO",
                                           "authority": "x", "reason": "y"})
    assert r.status_code == 404 and "1/KHONG-CO" in r.text
    r = lan.post("/retention/holds", data={"csrf_token": csrf_of(holds), "kind": "record", "codes": " ",
                                           "authority": "x", "reason": "y"})
    assert r.status_code == 422

    page = lan.get("/retention/schedules").text
    assert "ubnd-ha-nam" in page and "vn-sample" in page
    sched = lan.get("/retention/schedules/ubnd-ha-nam")
    assert sched.status_code == 200 and "Công văn trao đổi" in sched.text
    assert lan.get("/retention/schedules/khong-co").status_code == 404
    r = lan.post("/retention/schedules/ubnd-ha-nam/assign", data={
        "csrf_token": csrf_of(sched.text), "target_type": "dossier", "target": due["B"], "item_code": "01",
        "reason": "Thông báo có giá trị đối chiếu"})
    assert r.status_code == 200 and 'id="assigned"' in r.text and "31/12/2023" in r.text, r.text
    r = lan.post("/retention/schedules/ubnd-ha-nam/assign", data={
        "csrf_token": csrf_of(sched.text), "target_type": "dossier", "target": due["B"], "item_code": "01",
        "reason": ""})
    assert r.status_code == 422 and "lý do" in r.text
    due_page = lan.get("/retention/due", params={"as_of": "31/12/2022"}).text
    assert due["A"] in due_page and due["B"] not in due_page.split('id="sweep"')[0]


@settings(deadline=None)
@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_a_date_as_people_write_it_is_read_back(day):
    from api.web.actions import parse_day

    assert parse_day(day.strftime("%d/%m/") + f"{day.year:04d}") == day
    assert parse_day(day.isoformat()) == day


def test_a_due_date_that_is_not_a_date_is_said_so(web, login, due):
    """GIVEN dossiers due WHEN the due list is asked as of something that is not a date THEN the
    page says so in Vietnamese (422), keeps what was typed, and lists nothing — not today's list as
    if it were that day's; dd/mm/yyyy as the page shows dates works; the API answers 422 too."""
    _services, client = web
    lan = login("luutruvien")
    ok = lan.get("/retention/due", params={"as_of": "31/12/2022"})
    assert ok.status_code == 200 and due["A"] in ok.text.split('id="sweep"')[0]
    for bad in ("31/02/2026", "hôm qua", "2026-13-01", "1/2/3/4", "00/00/0000"):
        r = lan.get("/retention/due", params={"as_of": bad})
        assert r.status_code == 422, (bad, r.status_code)
        head = r.text.split('id="sweep"')[0]
        assert 'id="retention-error"' in head and "Ngày không hợp lệ" in head and "dd/mm/yyyy" in head
        assert 'id="due"' not in head and due["A"] not in head and due["B"] not in head
        assert f'value="{bad}"' in head  # what was typed stays in the box
    api = client.get("/api/v1/retention/due", params={"as_of": "31/02/2026"},
                     headers=token(client, "luutruvien", PASSWORD))
    assert api.status_code == 422


@settings(deadline=None)
@given(st.text(max_size=40))
def test_any_date_text_is_a_date_or_nothing(text):
    """Whatever is typed in the date box: a date, or None (the page then says it is not a date)."""
    from api.web.actions import parse_day

    out = parse_day(text)
    assert out is None or isinstance(out, date)


def test_the_appraisal_steps_when_the_agency_needs_them(web, login, csrf_of, due):
    """GIVEN a list proposed with «cần thẩm định» WHEN the council approves and the review is closed
    THEN the decision waits for the appraisal: the request, then the result (a choice is required),
    then another person approves."""
    lan, boss = login("luutruvien"), login("quantri")
    page = lan.get("/retention/due")
    r = lan.post("/retention/sweep", data={"csrf_token": csrf_of(page.text)})
    r = lan.post("/disposals", data={"csrf_token": csrf_of(r.text), "title": "Đợt cần thẩm định",
                                     "explanation": "Hết thời hạn", "dossiers": [due["A"]], "appraisal_required": "1",
                                     "council": ["hoidong1", "hoidong2", "hoidong3"]})
    assert r.status_code == 303, r.text
    slug = r.headers["location"].rsplit("/", 1)[1]
    for n in ("hoidong1", "hoidong2", "hoidong3"):
        assert _vote(login(n), csrf_of, slug, "approve").status_code == 303
    _review(lan, csrf_of, slug, due)
    page = boss.get(f"/disposals/{slug}").text
    assert _form(page, "appraisal-request-form") and not _form(page, "approve-form")
    r = boss.post(f"/disposals/{slug}/approve", data={"csrf_token": csrf_of(page), "decision": due["decision"]})
    assert r.status_code == 409 and "thẩm định" in r.text
    mine = lan.get(f"/disposals/{slug}").text
    assert lan.post(f"/disposals/{slug}/appraisal-request", data={"csrf_token": csrf_of(mine)}).status_code == 303
    page = lan.get(f"/disposals/{slug}").text
    assert 'data-state="appraisal_requested"' in page and _form(page, "appraisal-form")
    r = lan.post(f"/disposals/{slug}/appraisal", data={"csrf_token": csrf_of(page), "appraisal": due["minutes"]})
    assert r.status_code == 422 and "Chưa chọn kết quả thẩm định" in r.text
    r = lan.post(f"/disposals/{slug}/appraisal", data={"csrf_token": csrf_of(page), "appraisal": due["minutes"],
                                                      "agreed": "yes", "opinion": "Đồng ý"})
    assert r.status_code == 303, r.text
    page = boss.get(f"/disposals/{slug}").text
    assert 'data-state="appraised"' in page
    r = boss.post(f"/disposals/{slug}/approve", data={"csrf_token": csrf_of(page), "decision": due["decision"]})
    assert r.status_code == 303
    assert 'data-state="approved"' in boss.get(f"/disposals/{slug}").text
