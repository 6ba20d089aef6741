"""People, not processes (issue 14): every change made with ``luutru`` is made by a named account,
with that account's rights; reads as an account see what it may read; the disposal procedure
compares accounts and names people.

Regression: CLI actions were recorded as ``cli:<login>`` (``cli:root`` approved what
``user:luutruvien`` proposed), a council stored as ``hoidong1`` could never vote as
``user:hoidong1``, and the council voted once for the whole list with a dummy vote to close."""

from __future__ import annotations

import io
import json
import os
import stat
from datetime import date

import sqlalchemy as sa

from archive.catalogue.models import AuditEntry
from archive.domain import RecordMetadata

ORGAN = "000.00.00.H26"


def _one(out) -> dict:
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


def _services():
    from api.wiring import build_services, get_settings

    get_settings.cache_clear()
    return build_services(get_settings())


def _due_dossiers(n: int = 2) -> tuple[list[str], dict[str, str]]:
    """``n`` dossiers of 2010 due for review (Xem xét hủy), plus a Biên bản họp and a Quyết định hủy
    with their số ký hiệu; returns (dossier ids, documents)."""
    services = _services()
    try:
        archive = services.archive
        from api.retention_wiring import retention_services

        retention, _ = retention_services(services)
        archive.ensure_fonds(ORGAN, "Ủy ban nhân dân tỉnh Hà Nam")
        item = next(i["item_code"] for i in _items(services) if i["period"] == "10" and i["action"] == "review_destroy")
        dossiers = []
        for k in range(n):
            did = archive.create_dossier(organ_id=ORGAN, year=2010, notation=f"0{k + 1}.VP",
                                         title=f"Công văn trao đổi năm 2010, tập {k + 1}", end_date=date(2010, 12, 31))
            archive.create_record(io.BytesIO(f"%PDF-1.4 công văn {k}".encode()), filename=f"cv{k}.pdf", actor="test",
                                  dossier_id=did, metadata=RecordMetadata(type_name="Công văn", subject=f"Công văn {k}",
                                                                          access_level="restricted"))
            retention.assign_manual("dossier", did, schedule_code="vn-sample", item_code=item, reason="10 năm",
                                    actor="test")
            dossiers.append(did)
        retention.sweep(date(2026, 1, 1), actor="test")
        docs = {name: archive.create_record(
            io.BytesIO(f"%PDF-1.4 {name}".encode()), filename=f"{name}.pdf", actor="test",
            metadata=RecordMetadata(type_name=t, code_number=num, code_notation=notation, issued_date=date(2026, 2, 3),
                                    subject=f"{t} về việc hủy tài liệu hết giá trị")).record_id
            for name, t, num, notation in (("minutes", "Biên bản", "05", "BB-HĐXH"),
                                           ("decision", "Quyết định", "12", "QĐ-UBND"))}
    finally:
        services.close()
    return dossiers, docs


def _items(services):
    from retention import schedules

    with services.catalogue.session() as s:
        return [i.as_dict() for i in schedules.load_schedule(s, "vn-sample").items]


def test_a_change_needs_an_account_and_its_rights(cli, data_dir):
    cli.ensure("luutruvien", "canbo")
    anonymous = cli.as_user(None)("retention", "sweep", "--as-of", "2026-01-01")
    assert anonymous.exit_code == 2 and "luutru login" in anonymous.output
    assert cli.as_user(None)("status").exit_code == 0  # reading the machine's state needs no account
    wrong = cli.as_user(None)("retention", "sweep", env={"LUUTRU_USER": "luutruvien", "LUUTRU_PASSWORD": "sai-mat-khau"})
    assert wrong.exit_code == 2 and "không đúng" in wrong.output
    official = cli.as_user("canbo")("retention", "sweep", "--as-of", "2026-01-01")
    assert official.exit_code == 1 and "không có quyền" in official.output
    assert cli.as_user("luutruvien")("retention", "sweep", "--as-of", "2026-01-01", "--json").exit_code == 0
    services = _services()
    try:
        with services.catalogue.session() as s:
            entries = s.execute(sa.select(AuditEntry.actor, AuditEntry.action, AuditEntry.outcome)).all()
    finally:
        services.close()
    assert ("user:luutruvien", "retention.sweep", "success") in entries
    assert ("user:luutruvien", "auth.login", "failure") in entries  # the wrong password, audited as a login
    assert not [a for a, action, _ in entries if a.startswith("cli:") and action.startswith("retention.")]


def test_login_whoami_logout(cli, data_dir, tmp_path):
    cli.ensure("luutruvien")
    anonymous = cli.as_user(None)
    logged = anonymous("login", "luutruvien", env={"LUUTRU_PASSWORD": "Mật-khẩu-thử-nghiệm-2026"})
    assert logged.exit_code == 0 and "Nguyễn Thị Lan" in logged.output, logged.output
    saved = tmp_path / "config" / "luutru" / "sessions.json"
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
    me = _one(anonymous("whoami", "--json"))
    assert me == {"actor": "user:luutruvien", "full_name": "Nguyễn Thị Lan", "role": "archivist", "account": True}
    assert anonymous("retention", "sweep", "--as-of", "2026-01-01").exit_code == 0  # as the saved session
    assert anonymous("logout").exit_code == 0
    assert _one(anonymous("whoami", "--json"))["account"] is False
    assert anonymous("retention", "sweep").exit_code == 2


def test_reads_as_an_account_see_only_what_it_may_read(cli, data_dir):
    cli.ensure("canbo", "luutruvien")
    _dossiers, _docs = _due_dossiers(1)
    services = _services()
    try:
        with services.catalogue.session() as s:
            restricted = s.execute(sa.text("select id from records where access_level = 'restricted'")).scalar_one()
    finally:
        services.close()
    assert cli.as_user("luutruvien")("show", restricted[:8], "--json").exit_code == 0
    hidden = cli.as_user("canbo")("show", restricted, "--json")
    assert hidden.exit_code == 1 and "Không tìm thấy" in hidden.output
    assert cli.as_user("canbo")("get", restricted, "-o", str(data_dir / "x.pdf")).exit_code == 1
    found = _one(cli.as_user("canbo")("search", "công văn", "--json"))
    assert restricted not in {h["record_id"] for h in found["hits"]}
    assert restricted in {h["record_id"] for h in _one(cli.as_user("luutruvien")("search", "công văn", "--json"))["hits"]}


def test_the_council_votes_per_dossier_and_people_are_named(cli, data_dir):
    cli.ensure()
    (d1, d2), _docs = _due_dossiers(2)
    code1, code2 = f"{ORGAN}.2010.01.VP", f"{ORGAN}.2010.02.VP"
    archivist = cli.as_user("luutruvien")
    bad = archivist("retention", "propose", "--title", "Đợt hủy", "--explanation", "Hết hạn",
                    "--council", "hoidong1,hoidong2,canbo,khong.co")
    assert bad.exit_code == 1 and "«canbo»" in bad.output and "«khong.co»" in bad.output
    proposed = _one(archivist("retention", "propose", "--title", "Đợt hủy năm 2026", "--explanation", "Hết hạn",
                              "--council", "hoidong1,hoidong2,hoidong3", "--json"))
    number = proposed["number"]
    assert number == "1/2026" or number.startswith("1/")
    shown = archivist("retention", "show", number)
    assert "Lê Văn Cường (Phó Giám đốc, Chủ tịch Hội đồng)" in shown.output and "user:" not in shown.output

    outsider = cli.as_user("quantri")("retention", "vote", number, "approve")  # may vote, not on this council
    assert outsider.exit_code == 1 and "không phải thành viên Hội đồng" in outsider.output
    whole = _one(cli.as_user("hoidong1")("retention", "vote", number, "approve", "--json"))  # the whole list at once
    assert sorted(whole["dossiers"]) == sorted([d1, d2])
    h2 = cli.as_user("hoidong2")
    _one(h2("retention", "vote", number, "approve", "--dossier", code1, "--json"))
    _one(h2("retention", "vote", number, "reject", "--dossier", code2, "--opinion", "Còn giá trị tham khảo", "--json"))
    twice = h2("retention", "vote", number, "approve", "--dossier", code2)
    assert twice.exit_code == 1 and "đã cho ý kiến" in twice.output
    _one(cli.as_user("hoidong3")("retention", "vote", number, "approve", "--dossier", code1, "--json"))

    review = _one(archivist("retention", "review", number, "--minutes", "05/BB-HĐXH", "--json"))
    assert review["majority"] and review["kept"] == [d2]
    assert {(d["member"], d["dossier_id"], d["vote"]) for d in review["dissent"]} == {
        ("user:hoidong2", d2, "reject"), ("user:hoidong3", d2, None)}

    # the two-person rule compares accounts: the proposer cannot approve, whichever way they come in
    services = _services()
    try:
        token = services.accounts.login("luutruvien", "Mật-khẩu-thử-nghiệm-2026")["access_token"]
    finally:
        services.close()
    same = cli.as_user(None)("retention", "approve", number, "--decision", "12/QĐ-UBND", env={"LUUTRU_TOKEN": token})
    assert same.exit_code == 1 and "không được là người đề nghị" in same.output
    approved = _one(cli.as_user("chanhvanphong")("retention", "approve", number, "--decision", "12/QĐ-UBND", "--json"))
    assert approved["state"] == "approved"
    status = _one(archivist("retention", "show", number, "--json"))
    assert status["people"][status["approved_by"]]["full_name"] == "Trần Văn Bình"
    assert {i["dossier_id"]: i["state"] for i in status["items"]} == {d1: "listed", d2: "excluded"}
    done = _one(cli.as_user("chanhvanphong")("retention", "destroy", number, "--json"))
    assert done["state"] == "destroyed" and len(done["destroyed"]) == 1
