"""The destruction minutes over the CLI, each step a separate ``luutru`` process run by a named
person, on SQLite and PostgreSQL: the batch shows its minutes' number, ``luutru verify`` of the
minutes passes (and fails for a copy with one byte changed), and the register report is in
Vietnamese (issue 14).

Regression: ``luutru verify`` of the archive's own minutes exited 1 (no trust path for the archive's
certificate, no archive timestamp); ``retention report destroyed -o`` wrote English column names
and ISO dates."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

from served import PASSWORD, run_cli

from archive.domain import RecordMetadata

ORGAN = "000.00.00.H26"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def _one(out) -> dict:
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


def _ok(proc, as_json=True):
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout) if as_json else proc.stdout


def _archive(env: dict) -> dict:
    """A Sở under a UBND (its place Phủ Lý), two dossiers of 2010 due for review, the council's
    minutes and the decision, each with its số ký hiệu."""
    from api.retention_wiring import retention_services
    from api.wiring import build_services
    from archive.settings import load_settings
    from retention import schedules

    services = build_services(load_settings({k: v for k, v in env.items() if k.startswith("LUUTRU_")}))
    try:
        archive = services.archive
        retention, _ = retention_services(services)
        archive.ensure_fonds(ORGAN, "Sở Nội vụ tỉnh Hà Nam", place="Phủ Lý", superior_name="Ủy ban nhân dân tỉnh Hà Nam")
        with services.catalogue.session() as s:
            item = next(i["item_code"] for i in (x.as_dict() for x in schedules.load_schedule(s, "vn-sample").items)
                        if i["period"] == "10" and i["action"] == "review_destroy")
        dossiers = []
        for k in range(2):
            did = archive.create_dossier(organ_id=ORGAN, year=2010, notation=f"0{k + 1}.VP",
                                         title=f"Công văn trao đổi năm 2010, tập {k + 1}", end_date=date(2010, 12, 31))
            archive.create_record(io.BytesIO(f"%PDF-1.4 công văn {k}".encode()), filename=f"cv{k}.pdf", actor="test",
                                  dossier_id=did, metadata=RecordMetadata(
                                      type_name="Công văn", code_number=f"{40 + k}", code_notation="SNV-VP",
                                      issued_date=date(2010, 5, 10 + k), subject=f"Về việc trao đổi công tác, đợt {k}",
                                      page_amount=2))
            retention.assign_manual("dossier", did, schedule_code="vn-sample", item_code=item, reason="10 năm",
                                    actor="test")
            dossiers.append(did)
        retention.sweep(date(2026, 1, 1), actor="test")
        for t, num, notation in (("Biên bản", "05", "BB-HĐXH"), ("Quyết định", "12", "QĐ-UBND")):
            archive.create_record(io.BytesIO(f"%PDF-1.4 {t}".encode()), filename=f"{notation}.pdf", actor="test",
                                  metadata=RecordMetadata(type_name=t, code_number=num, code_notation=notation,
                                                          issued_date=date(2026, 2, 3), subject=f"{t} hủy tài liệu",
                                                          organ_name="Ủy ban nhân dân tỉnh Hà Nam"))
    finally:
        services.close()
    return {"dossiers": dossiers}


def test_minutes_over_the_cli_verify_and_the_register_is_vietnamese(cli, data_dir, db_env, tmp_path):
    """GIVEN an agency's expired dossiers WHEN the procedure runs over the CLI, as named people
    THEN the minutes are numbered, ``luutru verify`` (its own process) says VALID, a changed copy
    does not verify, and the register reads in Vietnamese."""
    import os

    cli.ensure()
    env = {k: v for k, v in os.environ.items() if k.startswith("LUUTRU_") and not k.startswith("LUUTRU_TEST_")}
    reader = {**env, "LUUTRU_USER": "luutruvien", "LUUTRU_PASSWORD": PASSWORD}
    assert cli.as_user(None)("init").exit_code == 0  # creates the archive's keys and TSA as an operator does
    ids = _archive(env)
    code2 = f"{ORGAN}.2010.02.VP"

    proposed = _one(cli.as_user("luutruvien")("retention", "propose", "--title", "Đợt hủy năm 2026", "--explanation",
                                              "Hết thời hạn bảo quản", "--council", "hoidong1,hoidong2,hoidong3",
                                              "--json"))
    number = proposed["number"]
    _one(cli.as_user("hoidong1")("retention", "vote", number, "approve", "--json"))
    _one(cli.as_user("hoidong2")("retention", "vote", number, "approve", "--json"))
    _one(cli.as_user("hoidong3")("retention", "vote", number, "reject", "--dossier", code2,
                                  "--opinion", "Còn giá trị tham khảo", "--json"))
    _one(cli.as_user("luutruvien")("retention", "review", number, "--minutes", "05/BB-HĐXH", "--json"))
    _one(cli.as_user("chanhvanphong")("retention", "approve", number, "--decision", "12/QĐ-UBND", "--json"))
    done = _one(cli.as_user("chanhvanphong")("retention", "destroy", number, "--json"))
    assert done["state"] == "destroyed" and done["minutes_number"] == "01/BB-HTL"
    minutes_id = done["minutes_record_id"]

    shown = _one(cli.as_user("luutruvien")("retention", "show", number, "--json"))
    assert (shown["minutes_number"], shown["minutes_record_id"]) == ("01/BB-HTL", minutes_id)
    text = cli.as_user("luutruvien")("retention", "show", number).output
    assert "Biên bản hủy tài liệu số 01/BB-HTL" in text and minutes_id[:8] in text

    # luutru verify of the minutes passes: signature VALID and time-stamped, archive timestamp chain OK
    verified = _ok(run_cli(reader, "verify", minutes_id, "--json"))
    assert [(s["status"], s["timestamped"]) for s in verified["signatures"]] == [("VALID", True)]
    assert verified["archive_timestamp"]["ok"] and verified["matches_ingest"]
    by_number = cli.as_user("luutruvien")("verify", "01/BB-HTL")  # named as people name it
    assert by_number.exit_code == 0 and "hợp lệ" in by_number.output, by_number.output

    # a copy with one byte changed, archived as a new record, does not verify
    copy = tmp_path / "ban-sao.pdf"
    assert cli.as_user("luutruvien")("get", minutes_id, "-o", str(copy)).exit_code == 0
    data = bytearray(copy.read_bytes())
    data[data.index(b"/Creator") + 2] ^= 0x01
    copy.write_bytes(bytes(data))
    ingested = _one(cli.as_user("luutruvien")("ingest", str(copy), "--json"))
    tampered = run_cli(reader, "verify", ingested["record_id"], "--json")
    assert tampered.returncode == 1
    report = json.loads(tampered.stdout)
    assert [(s["status"], s["intact"]) for s in report["signatures"]] == [("INVALID", False)]

    # the register, as CSV and XLSX, with Vietnamese headers and dd/mm/yyyy
    out_csv, out_xlsx = tmp_path / "danh-muc.csv", tmp_path / "danh-muc.xlsx"
    _ok(run_cli(reader, "retention", "report", "destroyed", "-o", str(out_csv)), as_json=False)
    assert cli.as_user("luutruvien")("retention", "report", "destroyed", "-o", str(out_xlsx)).exit_code == 0
    raw = out_csv.read_bytes()
    assert raw.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0][:4] == ["STT", "Mã hồ sơ", "Tiêu đề hồ sơ", "Số, ký hiệu văn bản"]
    assert "Thời điểm hủy (giờ Việt Nam)" in table[0] and "Quyết định hủy" in table[0]
    rows = [dict(zip(table[0], r, strict=True)) for r in table[1:]]
    assert [r["STT"] for r in rows] == ["1", "2"]  # a dissent on the second dossier, still a majority
    row = rows[0]
    assert (row["Mã hồ sơ"], row["Số, ký hiệu văn bản"], row["Ngày văn bản"], row["Biên bản hủy"]) == (
        f"{ORGAN}.2010.01.VP", "40/SNV-VP", "10/05/2010", "01/BB-HTL")
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", row["Thời điểm hủy (giờ Việt Nam)"])
    assert row["Quyết định hủy"].startswith("Quyết định số 12/QĐ-UBND ngày 03/02/2026")
    assert not UUID.search(raw.decode("utf-8-sig"))
    from openpyxl import load_workbook

    ws = load_workbook(out_xlsx).active
    assert [c.value for c in ws[1]] == table[0]
    assert ws.cell(row=2, column=table[0].index("Ngày văn bản") + 1).number_format == "dd/mm/yyyy"
    assert ids["dossiers"]
