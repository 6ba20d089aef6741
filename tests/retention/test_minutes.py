"""The Biên bản hủy tài liệu and the Danh mục tài liệu đã hủy as Decree 30 documents (issue 14).

Regression: the signed minutes read like a form filled with UUIDs ("Mã tài liệu", "mã đợt hủy"),
said "CƠ QUAN LƯU TRỮ, Hà Nội" whatever the agency, numbered themselves with the batch id, printed
UTC, cited the decision by record id, and did not pass their own verification (no trust path for
the archive's certificate, no archive timestamp). The list of destroyed documents had English
column headers and ISO dates.

Every test runs the real procedure (``DisposalService``) on SQLite and PostgreSQL, signs with
pyHanko, time-stamps with the archive's TSA and reads the PDF back with pypdf.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import threading
import unicodedata
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from archive.catalogue.models import Fonds
from archive.catalogue.retention_tables import Register
from archive.domain import RecordMetadata
from retention import destroyed_list
from retention.disposal import DisposalService, MinutesError
from retention.policy import Period, Schedule, ScheduleItem

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
COUNCIL = ["user:chu.tich", "user:thu.ky", "user:chuyen.gia"]


class FixedClock:
    def __init__(self, at: datetime):
        self.at = at

    def now(self) -> datetime:
        return self.at


def pdf_text(pdf: bytes) -> str:
    """The text a reader sees, whitespace made single (lines wrap anywhere a space is)."""
    text = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


def _agency(archive_service, **values) -> None:
    with archive_service.catalogue.session() as s:
        s.execute(sa.update(Fonds).values(**values))


def _document(archive_service, type_name, number, notation, subject, day=date(2026, 2, 3)) -> str:
    return archive_service.create_record(
        io.BytesIO(f"%PDF-1.4 {type_name} {number}/{notation} {subject}".encode()), filename="vb.pdf", actor="test",
        metadata=RecordMetadata(type_name=type_name, code_number=number, code_notation=notation, issued_date=day,
                                organ_name="Ủy ban nhân dân tỉnh Hà Nam", subject=subject)).record_id


def _due(retention_service, make_dossier, specs) -> list[tuple[str, list[str]]]:
    """Dossiers of 2010 in the list Xem xét hủy; ``specs``: (title, docs) as ``make_dossier`` takes."""
    retention_service.save_schedule(Schedule(code="agency", title="t", items=(
        ScheduleItem("1", "Công văn", Period(years=5)),)), "u")
    out = []
    for title, docs in specs:
        did, recs = make_dossier(2010, docs=docs, title=title)
        retention_service.assign_manual("dossier", did, schedule_code="agency", item_code="1", reason="thử", actor="u")
        out.append((did, recs))
    retention_service.sweep(date(2025, 1, 1), actor="software:beat")
    return out


def _approved(disposal_service, archive_service, dossier_ids, *, title="Đợt hủy năm 2026", votes=None) -> str:
    """Propose, vote (``votes``: member -> [(vote, dossier ids or None, opinion)]), review, approve."""
    b = disposal_service.propose(title=title, explanation="Hết thời hạn lưu trữ", council=COUNCIL,
                                 actor="user:luu.tru", dossier_ids=dossier_ids,
                                 proposal_record_id=_document(archive_service, "Tờ trình", "03", "TTr-SNV",
                                                              f"Về việc hủy tài liệu hết giá trị ({title})"))["batch_id"]
    for member, cast in (votes or {m: [("approve", None, None)] for m in COUNCIL}).items():
        for vote, dossiers, opinion in cast:
            disposal_service.vote(b, member=member, vote=vote, dossiers=dossiers, opinion=opinion)
    disposal_service.close_review(b, minutes_record_id=_document(
        archive_service, "Biên bản", "05", "BB-HĐXH", f"Biên bản họp Hội đồng xét hủy ({title})"), actor="user:thu.ky")
    disposal_service.approve(b, decision_record_id=_document(
        archive_service, "Quyết định", "12", "QĐ-UBND", f"Về việc hủy tài liệu hết giá trị ({title})"),
        actor="user:giam.doc")
    return b


def _pdf(archive_service, record_id) -> bytes:
    _, reader = archive_service.open_component(record_id, actor="test")
    with reader:
        return reader.read()


def test_the_minutes_name_the_agency_the_people_the_documents_never_an_id(
        archive_service, retention_service, disposal_service, make_dossier, staff_accounts):
    """GIVEN three dossiers of a Sở under a UBND, one kept by the council, a dissent on another
    WHEN the batch is destroyed at 07:05 UTC THEN the minutes are a Decree 30 document in local time."""
    _agency(archive_service, name="Sở Nội vụ tỉnh Hà Nam", superior_name="Ủy ban nhân dân tỉnh Hà Nam", place="Phủ Lý")
    (d1, r1), (d2, r2), (d3, r3) = _due(retention_service, make_dossier, [
        ("Công văn trao đổi về quy hoạch năm 2010", [
            ("Công văn", "Về việc trao đổi công tác quy hoạch năm 2010", None,
             {"code_number": "45", "code_notation": "SNV-VP", "issued_date": date(2010, 3, 2), "page_amount": 3}),
            ("Giấy mời", "Họp giao ban quý I", None, {"issued_date": date(2010, 1, 5), "page_amount": 1})]),
        ("Thông báo kết luận giao ban năm 2010", [
            ("Thông báo", "Kết luận cuộc họp giao ban tháng 6", None,
             {"code_number": "07", "code_notation": "TB-SNV", "issued_date": date(2010, 6, 30), "page_amount": 2})]),
        ("Kế hoạch công tác năm 2010", [
            ("Kế hoạch", "Kế hoạch công tác văn thư năm 2010", None,
             {"code_number": "02", "code_notation": "KH-SNV", "issued_date": date(2010, 1, 4)})]),
    ])
    b = _approved(disposal_service, archive_service, [d1, d2, d3], votes={
        "user:chu.tich": [("approve", None, None)],
        "user:thu.ky": [("approve", [d1, d2], None), ("reject", [d3], "Còn giá trị tham khảo cho công tác kế hoạch")],
        "user:chuyen.gia": [("reject", [d2], "Nên giữ thêm 5 năm")]})
    archive_service.clock = FixedClock(datetime(2026, 12, 6, 7, 5, tzinfo=UTC))  # 14:05 in Hà Nội
    result = disposal_service.destroy(b, actor="user:nhan.vien")
    assert result["state"] == "destroyed" and result["minutes_number"] == "01/BB-HTL"
    assert result["minutes_warnings"] == []

    pdf = _pdf(archive_service, result["minutes_record_id"])
    text = pdf_text(pdf)
    for expected in ("ỦY BAN NHÂN DÂN TỈNH HÀ NAM", "SỞ NỘI VỤ TỈNH HÀ NAM", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                     "Độc lập - Tự do - Hạnh phúc", "Số: 01/BB-HTL", "Phủ Lý, ngày 06 tháng 12 năm 2026",
                     "BIÊN BẢN", "Hủy tài liệu lưu trữ hết giá trị", "hồi 14 giờ 05 ngày 06 tháng 12 năm 2026",
                     "Quyết định số 12/QĐ-UBND ngày 03/02/2026 của Ủy ban nhân dân tỉnh Hà Nam",
                     "Biên bản họp Hội đồng xét hủy tài liệu số 05/BB-HĐXH ngày 03/02/2026",
                     "Tờ trình số 03/TTr-SNV ngày 03/02/2026", "đợt hủy số 1/2026",
                     # people by name and title
                     "Người thực hiện hủy: Đỗ Thị Mai, Nhân viên lưu trữ",
                     "Người quyết định hủy: Trần Văn Bình, Giám đốc Sở",
                     "Nguyễn Thị Lan, Chuyên viên lưu trữ",
                     "Lê Văn Cường, Phó Giám đốc, Chủ tịch Hội đồng",
                     "Phạm Thị Dung, Trưởng phòng Hành chính, Thư ký Hội đồng",
                     "Hoàng Văn Em, Chuyên viên chính",
                     # the council per dossier, with the dissent as it was recorded
                     "000.00.00.H26.2010", "Hội đồng đồng ý hủy (2/3 thành viên)",
                     "Hoàng Văn Em, Chuyên viên chính: không đồng ý hủy — «Nên giữ thêm 5 năm»",
                     "Hoàng Văn Em, Chuyên viên chính: không cho ý kiến",
                     "Không hủy, hồ sơ được giữ lại",
                     "Phạm Thị Dung, Trưởng phòng Hành chính, Thư ký Hội đồng: không đồng ý hủy — «Còn giá trị tham "
                     "khảo cho công tác kế hoạch»",
                     # the documents by số ký hiệu and trích yếu; one without a number by its type and date
                     "45/SNV-VP 02/03/2010", "Về việc trao đổi công tác quy hoạch năm 2010",
                     "07/TB-SNV 30/06/2010", "Kết luận cuộc họp giao ban tháng 6",
                     "Giấy mời không số 05/01/2010", "Họp giao ban quý I",
                     "Đã hủy 2 hồ sơ, gồm 3 văn bản, 6 trang",
                     "NGƯỜI THỰC HIỆN HỦY", "NGƯỜI QUYẾT ĐỊNH HỦY", "Nơi nhận:", "Lưu: VT"):
        assert expected in text, expected
    assert "Hà Nội" not in text and "CƠ QUAN LƯU TRỮ" not in text and "UTC" not in text
    assert "Kế hoạch công tác văn thư năm 2010" not in text  # kept by the council: not in the destroyed list
    assert not UUID.search(text), UUID.search(text)
    for rid in (b, *r1, *r2, *r3, result["minutes_record_id"]):
        assert rid[:8] not in text
    compact = text.replace(" ", "")
    for rid in r1 + r2:  # the SHA-256 of every destroyed original is in the signed minutes
        assert archive_service.get_record(rid, actor="test")["components"][0]["sha256"] in compact

    # the record of the minutes carries the number, the date and the agency
    rec = archive_service.get_record(result["minutes_record_id"], actor="test")
    assert (rec["code_number"], rec["code_notation"], rec["issued_date"], rec["organ_name"], rec["type_name"]) == (
        "01", "BB-HTL", "2026-12-06", "Sở Nội vụ tỉnh Hà Nam", "Biên bản")
    status = disposal_service.status(b)
    assert (status["minutes_number"], status["minutes_record_id"]) == ("01/BB-HTL", result["minutes_record_id"])


def test_the_list_of_destroyed_documents_reads_in_vietnamese(
        archive_service, retention_service, disposal_service, make_dossier, staff_accounts, tmp_path):
    """The CSV archived with the minutes, and the CSV/XLSX of the report: Vietnamese headers,
    dd/mm/yyyy, local time, the decision by số ký hiệu, UTF-8 with a BOM."""
    (d1, r1), = _due(retention_service, make_dossier, [("Công văn năm 2010", [
        ("Công văn", "Về việc tổng kết năm", None,
         {"code_number": "45", "code_notation": "SNV-VP", "issued_date": date(2010, 3, 2), "page_amount": 3})])])
    b = _approved(disposal_service, archive_service, [d1])
    archive_service.clock = FixedClock(datetime(2026, 12, 31, 17, 30, tzinfo=UTC))  # 01/01/2027 00:30 in Hà Nội
    result = disposal_service.destroy(b, actor="user:nhan.vien")
    assert result["minutes_number"] == "01/BB-HTL"

    data = _pdf(archive_service, result["register_record_id"])
    assert data.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0] == destroyed_list.HEADERS
    assert table[0][:5] == ["STT", "Mã hồ sơ", "Tiêu đề hồ sơ", "Số, ký hiệu văn bản", "Ngày văn bản"]
    row = dict(zip(table[0], table[1], strict=True))
    assert (row["STT"], row["Số, ký hiệu văn bản"], row["Ngày văn bản"], row["Trích yếu nội dung"], row["Số trang"]) == (
        "1", "45/SNV-VP", "02/03/2010", "Về việc tổng kết năm", "3")
    assert row["Thời điểm hủy (giờ Việt Nam)"] == "01/01/2027 00:30:00"  # local: 31/12 in UTC
    assert row["Quyết định hủy"].startswith("Quyết định số 12/QĐ-UBND ngày 03/02/2026")
    assert (row["Đợt hủy"], row["Biên bản hủy"], row["Người thực hiện hủy"]) == (
        "1/2026", "01/BB-HTL", "Đỗ Thị Mai (Nhân viên lưu trữ)")
    assert row["Mã băm SHA-256 bản gốc"] == archive_service.get_record(r1[0], actor="test")["components"][0]["sha256"]
    assert not UUID.search(data.decode("utf-8-sig"))

    with archive_service.catalogue.session() as s:
        items = destroyed_list.rows(s)
    assert destroyed_list.to_csv(items) == data  # the report and the archived list are the same table
    out = tmp_path / "danh-muc.xlsx"
    destroyed_list.write_xlsx(items, out)
    from openpyxl import load_workbook

    ws = load_workbook(out).active
    assert [c.value for c in ws[1]] == destroyed_list.HEADERS
    cells = dict(zip(destroyed_list.HEADERS, ws[2], strict=True))
    assert cells["Ngày văn bản"].value == datetime(2010, 3, 2) and cells["Ngày văn bản"].number_format == "dd/mm/yyyy"
    assert cells["Thời điểm hủy (giờ Việt Nam)"].value == datetime(2027, 1, 1, 0, 30)
    assert cells["Số trang"].value == 3


def test_numbers_follow_the_register_per_local_year_and_a_resumed_completion_keeps_its_number(
        archive_service, retention_service, disposal_service, make_dossier, staff_accounts, minutes_config):
    """GIVEN three batches WHEN destroyed in 2026, 2026 and 2027 (local) THEN 01, 02, then 01 again;
    a completion that failed to sign (TSA down) keeps its number and issues it when resumed."""
    dossiers = _due(retention_service, make_dossier, [(f"Hồ sơ {k}", [("Công văn", f"Công văn {k}", None)])
                                                      for k in range(3)])
    batches = [_approved(disposal_service, archive_service, [did], title=f"Đợt {k}")
               for k, (did, _) in enumerate(dossiers)]
    archive_service.clock = FixedClock(datetime(2026, 6, 1, 3, 0, tzinfo=UTC))
    assert disposal_service.destroy(batches[0], actor="user:nhan.vien")["minutes_number"] == "01/BB-HTL"

    from archive.timestamping import HttpTimeStamper

    def unreachable():  # an external TSA that does not answer (nothing listens on port 9)
        return HttpTimeStamper("http://127.0.0.1:9/tsa", timeout=2)

    broken = DisposalService(archive_service, minutes_config=dataclasses.replace(minutes_config,
                                                                                timestamper=unreachable))
    with pytest.raises(MinutesError) as err:
        broken.destroy(batches[1], actor="user:nhan.vien")
    assert "luutru retention destroy --resume" in err.value.message_vi
    status = disposal_service.status(batches[1])
    assert (status["state"], status["minutes_number"], status["minutes_record_id"]) == ("destroying", "02/BB-HTL", None)
    archive_service.clock = FixedClock(datetime(2026, 6, 2, 3, 0, tzinfo=UTC))
    [resumed] = disposal_service.resume(actor="user:nhan.vien")
    assert (resumed["state"], resumed["minutes_number"]) == ("destroyed", "02/BB-HTL")
    rec = archive_service.get_record(resumed["minutes_record_id"], actor="test")
    assert rec["issued_date"] == "2026-06-01"  # the date the number was taken, as the register has it

    archive_service.clock = FixedClock(datetime(2026, 12, 31, 17, 0, tzinfo=UTC))  # 01/01/2027 in Hà Nội
    third = disposal_service.destroy(batches[2], actor="user:nhan.vien")
    assert third["minutes_number"] == "01/BB-HTL"
    assert "ngày 01 tháng 01 năm 2027" in pdf_text(_pdf(archive_service, third["minutes_record_id"]))
    with archive_service.catalogue.session() as s:
        assert sorted(s.execute(sa.select(Register.year, Register.last_number)).all()) == [(2026, 2), (2027, 1)]


def test_two_batches_completing_at_once_never_share_a_number(
        archive_service, retention_service, make_dossier, staff_accounts, council_accounts, minutes_config):
    """GIVEN two approved batches WHEN both are destroyed at the same moment, in two threads THEN
    their minutes carry 01 and 02 (the register row is locked while read; PostgreSQL and SQLite)."""
    dossiers = _due(retention_service, make_dossier, [(f"Hồ sơ {k}", [("Công văn", f"Văn bản {k}", None)])
                                                      for k in range(2)])
    service = DisposalService(archive_service, minutes_config=minutes_config)
    batches = [_approved(service, archive_service, [did], title=f"Đợt {k}") for k, (did, _) in enumerate(dossiers)]
    start, results, errors = threading.Barrier(2), {}, []

    def run(b):
        try:
            start.wait()
            results[b] = DisposalService(archive_service, minutes_config=minutes_config).destroy(
                b, actor="user:nhan.vien")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert sorted(r["minutes_number"] for r in results.values()) == ["01/BB-HTL", "02/BB-HTL"]


def test_the_minutes_verify_and_a_changed_byte_does_not(archive_service, retention_service, disposal_service,
                                                        make_dossier, staff_accounts, archive_settings):
    """The archive trusts itself: its signing CA and TSA are trust anchors, the minutes carry an
    archive timestamp, and the stored report (at filing) says VALID, time-stamped."""
    from api.signature_wiring import trust_roots_for, tsa_roots_for
    from ingest.signatures import validate_pdf
    from ingest.signatures.ltv import verify_record

    (d1, _), = _due(retention_service, make_dossier, [("Hồ sơ", [("Công văn", "Văn bản", None)])])
    result = disposal_service.destroy(_approved(disposal_service, archive_service, [d1]), actor="user:nhan.vien")
    minutes_id = result["minutes_record_id"]
    [stored] = archive_service.get_record(minutes_id, actor="test")["signatures"]
    assert (stored["status"], stored["intact"], stored["timestamped"]) == ("VALID", True, True)

    report = verify_record(archive_service, minutes_id, trust_roots=trust_roots_for(archive_settings),
                           tsa_roots=tsa_roots_for(archive_settings))
    assert [s["status"] for s in report["signatures"]] == ["VALID"] and report["signatures"][0]["timestamped"]
    assert report["archive_timestamp"]["ok"] and report["matches_ingest"]
    assert report["reports"][0]["trust_anchor"]  # chained to the archive's own CA

    pdf = bytearray(_pdf(archive_service, minutes_id))
    at = pdf.index(b"/Creator")  # a byte of the document information, inside the signed range
    pdf[at + 2] ^= 0x01
    path = archive_settings.data_dir / "copy.pdf"
    path.write_bytes(bytes(pdf))
    [tampered] = validate_pdf(path, trust_roots_for(archive_settings))
    assert (str(tampered.status), tampered.intact) == ("INVALID", False)


def test_without_any_place_the_date_line_has_none_and_says_so(
        archive_service, retention_service, disposal_service, make_dossier, staff_accounts, minutes_config):
    """No fonds place and no LUUTRU_ARCHIVE__PLACE: no invented city, and the result says so."""
    (d1, _), = _due(retention_service, make_dossier, [("Hồ sơ", [("Công văn", "Văn bản", None)])])
    service = DisposalService(archive_service, minutes_config=dataclasses.replace(minutes_config, place=None))
    result = service.destroy(_approved(service, archive_service, [d1]), actor="user:nhan.vien")
    assert "place_missing" in result["minutes_warnings"]
    text = pdf_text(_pdf(archive_service, result["minutes_record_id"]))
    assert "Hà Nội" not in text and re.search(r"Hạnh phúc\W+ngày \d\d tháng \d+ năm \d{4}", text), text[:300]


@pytest.mark.parametrize(("day", "line"), [(date(2020, 3, 5), "ngày 05 tháng 3 năm 2020"),
                                           (date(2020, 1, 5), "ngày 05 tháng 01 năm 2020"),
                                           (date(2019, 6, 29), "ngày 29 tháng 6 năm 2019"),
                                           (date(2026, 12, 6), "ngày 06 tháng 12 năm 2026")])
def test_dates_as_decree_30_writes_them(day, line):
    """Phụ lục I II.4: days below 10 and the months 1 and 2 take a leading 0 (the decree's own examples)."""
    from retention.minutes import vn_date

    assert vn_date(day) == line


DATE_LINE = re.compile(r"^(?P<dd>[^,\n]+),\s*ngày\s+(?P<d>0[1-9]|[12]\d|3[01])\s+tháng\s+(?P<m>0[12]|[3-9]|1[0-2])"
                       r"\s+năm\s+(?P<y>\d{4})$")
"""The strict place-and-date pattern of requirements-vn.md §8.2 (what a parser of our own documents reads)."""


@given(st.dates(min_value=date(1945, 9, 2), max_value=date(2200, 12, 31)))
def test_every_date_line_reads_back_with_the_strict_pattern(day):
    from retention.minutes import vn_date

    m = DATE_LINE.match(f"Hà Nam, {vn_date(day)}")
    assert m and date(int(m["y"]), int(m["m"]), int(m["d"])) == day


VIETNAMESE = st.text(alphabet=st.sampled_from(list("aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíị"
                                                   "òỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ ĐÂƠƯ0123456789<>&\"'/-.,;:()«»")),
                     min_size=1, max_size=80).filter(lambda t: t.strip())


@settings(max_examples=15, deadline=None)
@given(title=VIETNAMESE, subject=VIETNAMESE, name=VIETNAMESE)
def test_any_text_people_type_is_printed_as_typed(title, subject, name):
    """Titles, subjects and names with markup characters (<, &, quotes) are printed as typed: the
    PDF builds and the text reads back (reportlab paragraphs are markup; everything is escaped)."""
    from retention import minutes

    person = minutes.Person(name, "Chuyên viên")
    doc = minutes.MinutesDocument(
        agency_name="Sở Nội vụ", number="01/BB-HTL", issued_at=datetime(2026, 12, 6, 14, 5),
        batch_number="1/2026", batch_title=title, grounds=["Luật Lưu trữ"], proposer=person, council=[person],
        approver=person, destroyer=person, dossiers=[minutes.DossierEntry(
            code="000.00.00.H26.2010.01.VP", title=title, retention="5 năm", destroyed=True, approve=1, members=1,
            records=[minutes.RecordEntry("12/QĐ-UBND", "03/02/2010", subject, 2, "ab" * 32, 10)])])
    text = pdf_text(minutes.render(doc))
    for typed in (title, subject, name):
        assert " ".join(unicodedata.normalize("NFC", typed).split()) in text
