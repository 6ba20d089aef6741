"""``luutru records edit`` and ``luutru records history`` (in-process runner) on SQLite and
PostgreSQL: a record named as people name it is corrected, the history reads as people expect
(name, dd/mm/yyyy HH:MM in Vietnam's time), and careless input is a clear error with exit 2 and
nothing stored."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from archive.catalogue.models import Record
from archive.domain import RecordMetadata


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def archive(request, cli, monkeypatch):
    """Three records (two share a số ký hiệu of different agencies); the commands act as the
    archivist account of ``cli`` (luutruvien), while the machine's login is someone else."""
    from api.wiring import build_services, get_settings

    if request.param == "postgres":
        monkeypatch.setenv("LUUTRU_DB__URL", request.getfixturevalue("postgres_url"))
    monkeypatch.setenv("LOGNAME", "luu.tru")
    assert cli("init").exit_code == 0
    get_settings.cache_clear()
    services = build_services(get_settings())
    try:
        ids = {}
        for key, number, notation, organ, subject in (
                ("cv", "12", "UBND-VP", "Ủy ban nhân dân tỉnh Hà Nam", "Về việc triển khai dự án Ngọc Trai"),
                ("a", "7", "SNV-TCCB", "Sở Nội vụ", "Về việc tuyển dụng công chức"),
                ("b", "7", "SNV-TCCB", "Sở Nội vụ tỉnh Nam Định", "Về việc nâng lương")):
            ids[key] = services.archive.create_record(
                io.BytesIO(f"%PDF-1.7 {key}".encode()), filename=f"{key}.pdf", actor="test",
                metadata=RecordMetadata(type_name="Công văn", code_number=number, code_notation=notation,
                                        organ_name=organ, subject=subject, issued_date=date(2025, 3, 5))).record_id
        yield services, ids
    finally:
        services.close()
        get_settings.cache_clear()


def _record(services, rid: str) -> Record:
    with services.catalogue.session() as s:
        return s.get(Record, rid)


def test_edit_by_so_ky_hieu_then_history(cli, archive):
    """GIVEN a công văn 12/UBND-VP WHEN the archivist corrects its trích yếu and ngày by số ký hiệu
    THEN the command shows old and new values and that the index has it, ``luutru search`` finds
    the new words, and ``records history`` shows when (dd/mm/yyyy HH:MM, Vietnam's time), who (by
    name), what and why."""
    services, ids = archive
    out = cli("records", "edit", "12/ubnd-vp", "--set", "subject=Về việc nghiệm thu dự án Phù Sa",
              "--set", "issued_date=07/03/2025", "--reason", "Sửa theo bản gốc giấy")
    assert out.exit_code == 0, out.output
    assert "Đã sửa văn bản 12/UBND-VP" in out.output and "Chỉ mục tìm kiếm đã được cập nhật" in out.output
    assert "05/03/2025" in out.output and "07/03/2025" in out.output
    rec = _record(services, ids["cv"])
    assert (rec.subject, rec.issued_date, rec.version) == ("Về việc nghiệm thu dự án Phù Sa", date(2025, 3, 7), 2)
    found = cli("search", "Phù Sa", "--json")
    assert found.exit_code == 0 and ids["cv"] in found.output

    hist = cli("records", "history", "12/UBND-VP", "--json")
    rows = json.loads(hist.stdout)
    assert [(r["field"], r["old"], r["new"]) for r in rows] == [
        ("subject", "Về việc triển khai dự án Ngọc Trai", "Về việc nghiệm thu dự án Phù Sa"),
        ("issued_date", "2025-03-05", "2025-03-07")]
    assert {(r["actor"], r["actor_name"], r["reason"]) for r in rows} == {
        ("user:luutruvien", "Nguyễn Thị Lan", "Sửa theo bản gốc giấy")}  # the account the command acts as
    table = cli("records", "history", ids["cv"][:8])
    assert table.exit_code == 0, table.output
    local = datetime.fromisoformat(rows[0]["at"]).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert local.strftime("%d/%m/%Y %H:%M") in table.output
    # (the table wraps long cells at the runner's 80 columns: look for the words)
    assert all(word in table.output for word in ("Nguyễn", "Thị", "Lan", "Trích", "yếu", "Ngọc", "Phù"))


def test_edit_json_and_nothing_to_change(cli, archive):
    services, ids = archive
    out = cli("records", "edit", ids["cv"], "--set", "urgency=hoả tốc", "--set", "page_amount=3",
              "--reason", "Bổ sung", "--json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["version"] == 2 and data["indexed"] and data["so_ky_hieu"] == "12/UBND-VP"
    assert {(c["field"], c["new"]) for c in data["changes"]} == {("urgency", "HỎA TỐC"), ("page_amount", 3)}
    again = cli("records", "edit", ids["cv"], "--set", "urgency=HỎA TỐC", "--reason", "Lặp lại")
    assert again.exit_code == 0 and "Không có gì thay đổi" in again.output
    assert _record(services, ids["cv"]).version == 2


@pytest.mark.parametrize(("args", "words"), [
    (["--set", "sha256=00"], "không được sửa"),
    (["--set", "dossier_id=abc"], "records file"),
    (["--set", "status=disposed"], "Các trường sửa được: type_name"),
    (["--set", "tieu_de=abc"], "Không có trường «tieu_de»"),
    (["--set", "subject"], "Cần dạng trường=giá_trị"),
    (["--set", "=abc"], "Cần dạng trường=giá_trị"),
    (["--set", "issued_date=31/04/2025"], "không phải ngày hợp lệ"),
    (["--set", "access_level=tối mật"], "chọn một trong public"),
    (["--set", "subject=" + "x" * 501], "tối đa 500"),
    (["--set", "subject=a", "--set", "Subject=b"], "được nêu hai lần"),
])
def test_careless_input_is_exit_2_and_stores_nothing(cli, archive, args, words):
    services, ids = archive
    out = cli("records", "edit", ids["cv"], *args, "--reason", "thử")
    assert out.exit_code == 2, out.output
    assert words in " ".join(out.output.split())
    assert "Traceback" not in out.output
    assert _record(services, ids["cv"]).version == 1


def test_unknown_or_ambiguous_records_and_a_missing_reason(cli, archive):
    services, ids = archive
    missing = cli("records", "edit", "99/KHONG-CO", "--set", "subject=x", "--reason", "thử")
    assert missing.exit_code == 1 and "Không tìm thấy văn bản" in missing.output
    both = cli("records", "edit", "7/SNV-TCCB", "--set", "subject=x", "--reason", "thử")
    assert both.exit_code == 1 and ids["a"] in both.output and ids["b"] in both.output
    blank = cli("records", "edit", ids["a"], "--set", "subject=x", "--reason", "  ")
    assert blank.exit_code == 2 and "Cần ghi lý do sửa" in blank.output
    assert cli("records", "edit", ids["a"], "--set", "subject=x").exit_code == 2  # --reason is required
    assert {_record(services, i).version for i in ids.values()} == {1}
    assert "chưa được sửa" in cli("records", "history", ids["a"]).output
