"""``luutru retention`` end to end: the embedded default, and the whole procedure on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import random
from datetime import date

from kit.corpus.generator import generate_pdf, random_doc_spec


def test_retention_commands(cli, tmp_path):
    out = cli("retention", "schedules", "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)[0]["code"] == "vn-sample"
    out = cli("retention", "due", "--as-of", "2025-01-01", "--json")
    assert out.exit_code == 0 and json.loads(out.output) == []
    sched = tmp_path / "s.csv"
    sched.write_text("item_code,description,period\n1,Công văn,5\n2,Quyết định,permanent\n", encoding="utf-8")
    out = cli("retention", "import", str(sched), "--code", "agency", "--json")
    assert json.loads(out.output) == {"code": "agency", "version": 1, "created": True}
    out = cli("retention", "sweep", "--as-of", "2025-01-01")
    assert out.exit_code == 0 and "Xem xét hủy" in out.output
    out = cli("retention", "assign", "--dossier", "khong-co", "--item", "agency/1", "--reason", "x")
    assert out.exit_code == 1 and "Lỗi" in out.output
    xlsx = tmp_path / "r.xlsx"
    out = cli("retention", "report", "destroyed", "-o", str(xlsx))
    assert out.exit_code == 0 and xlsx.exists()


def test_a_date_as_the_pages_show_it_or_a_clear_refusal(cli):
    """``--as-of`` takes dd/mm/yyyy like the pages and reports show dates; anything else ends with
    exit 2 and a Vietnamese message (never a traceback, never another day's list)."""
    out = cli("retention", "due", "--as-of", "01/01/2025", "--json")
    assert out.exit_code == 0 and json.loads(out.output) == []
    for command in (("retention", "due"), ("retention", "sweep"), ("retention", "report", "due")):
        out = cli(*command, "--as-of", "31/02/2025")
        assert out.exit_code == 2 and "Ngày không hợp lệ: «31/02/2025»" in out.output, (command, out.output)
    assert cli("retention", "sweep", "--as-of", "hôm qua").exit_code != 0


def _one(out) -> dict:
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


def _services():
    from api.wiring import build_services, get_settings

    get_settings.cache_clear()
    return build_services(get_settings())


def _pdf(tmp_path, name: str, doc_type: str, seed: int, issued: date | None = None):
    spec = random_doc_spec(random.Random(seed), doc_type=doc_type, marks=False, pages=1, issued=issued)
    path = tmp_path / name
    path.write_bytes(generate_pdf(spec))
    return path


def test_the_whole_procedure_through_the_cli(cli, db_env, tmp_path, monkeypatch):
    """schedules → import → assign (rule) → ingest → due → hold → sweep → release → sweep → propose →
    vote → approve → destroy (dry run, then for real) → report, each command as a person would run
    it, on the embedded SQLite and on PostgreSQL (``LUUTRU_DB__URL``)."""

    def as_user(name):
        cli.as_user(name)  # LUUTRU_USER / LUUTRU_PASSWORD of that person's account

    def ingest(path, *extra):
        out = cli("ingest", str(path), "--json", *extra)
        assert out.exit_code == 0, out.output
        return json.loads(out.output.splitlines()[0])["record_id"]

    as_user("luutruvien")
    assert cli("init").exit_code == 0
    assert [s["code"] for s in _one(cli("retention", "schedules", "--json"))] == ["vn-sample", "vn-system"]
    sched = tmp_path / "agency.csv"
    sched.write_text("item_code,description,period\n1,Công văn trao đổi,5\n2,Quyết định,permanent\n", encoding="utf-8")
    assert _one(cli("retention", "import", str(sched), "--code", "agency", "--json"))["version"] == 1
    assert _one(cli("retention", "assign", "--rule", "agency/1", "--criteria", '{"type_names": ["Công văn"]}',
                    "--json"))["rule_id"]
    services = _services()
    try:
        services.archive.ensure_fonds("000.00.00.H26", "Ủy ban nhân dân tỉnh Hà Nam")
        did = services.archive.create_dossier(organ_id="000.00.00.H26", year=2010, notation="01.VP",
                                              title="Công văn trao đổi năm 2010")
    finally:
        services.close()
    # issued in 2010: a dossier's end date follows its documents (a later one would move the due date)
    doc = ingest(_pdf(tmp_path, "cv.pdf", "Công văn", 5, issued=date(2010, 5, 4)), "--dossier",
                 "000.00.00.H26.2010.01.VP")
    loose = ingest(_pdf(tmp_path, "cv-loose.pdf", "Công văn", 6))  # no dossier: chưa lập hồ sơ
    minutes, decision = (ingest(_pdf(tmp_path, f"{n}.pdf", "Quyết định (cá biệt)", seed))
                         for n, seed in (("bien-ban-hop", 7), ("quyet-dinh-huy", 8)))

    due = _one(cli("retention", "due", "--as-of", "2025-01-01", "--json"))
    assert [(r["dossier_id"], r["due_date"], r["item_code"]) for r in due] == [(did, "2015-12-31", "1")]
    hold = _one(cli("retention", "hold", "--authority", "Tòa án nhân dân tỉnh", "--reason", "Vụ án số 12",
                    "--dossiers", did, "--json"))["hold_id"]
    swept = _one(cli("retention", "sweep", "--as-of", "2025-01-01", "--json"))
    assert (swept["listed"], swept["held"], swept["unfiled"]) == (0, [did], 3)
    assert _one(cli("retention", "release", hold, "--reason", "Đã xét xử xong", "--json"))["released"]
    assert _one(cli("retention", "sweep", "--as-of", "2025-01-01", "--json"))["listed_ids"] == [did]
    assert _one(cli("retention", "sweep", "--as-of", "2025-01-01", "--json"))["listed"] == 0  # already listed
    assert [r["dossier_id"] for r in _one(cli("retention", "report", "candidates", "--json"))] == [did]
    unfiled = {r["record_id"]: r for r in _one(cli("retention", "report", "unfiled", "--as-of", "2025-01-01",
                                                   "--json"))}
    assert set(unfiled) == {loose, minutes, decision}
    assert unfiled[loose]["retention"] == "5 năm" and unfiled[loose]["state"] == "Chưa lập hồ sơ"
    assert unfiled[minutes]["state"].endswith("chưa xác định thời hạn")

    cli.ensure("hoidong1", "hoidong2", "hoidong3", "chanhvanphong")
    council = "hoidong1,user:hoidong2,HOIDONG3"  # accounts, however typed
    proposed = _one(cli("retention", "propose", "--title", "Đợt hủy 2025", "--explanation", "Hết thời hạn bảo quản",
                        "--council", council, "--json"))
    batch, number = proposed["batch_id"], proposed["number"]
    for member, choice in (("hoidong1", "approve"), ("hoidong2", "approve"), ("hoidong3", "reject")):
        as_user(member)
        assert _one(cli("retention", "vote", number, choice, "--opinion", "Ý kiến của thành viên",
                        "--json"))["vote"] == choice
    as_user("luutruvien")
    review = _one(cli("retention", "review", number, "--minutes", minutes, "--json"))
    assert review["majority"] and [d["member"] for d in review["dissent"]] == ["user:hoidong3"]
    refused = cli("retention", "approve", batch, "--decision", decision)
    assert refused.exit_code == 1 and "không được là người đề nghị" in refused.output
    as_user("chanhvanphong")
    assert _one(cli("retention", "approve", number, "--decision", decision, "--json"))["batch_id"] == batch
    plan = _one(cli("retention", "destroy", batch, "--dry-run", "--json"))
    assert [r["record_id"] for r in plan["records"]] == [doc]
    result = _one(cli("retention", "destroy", batch, "--json"))
    assert result["state"] == "destroyed" and result["destroyed"] == [doc]
    assert [r["record_id"] for r in _one(cli("retention", "report", "destroyed", "--json"))] == [doc]
    xlsx = tmp_path / "da-huy.xlsx"
    assert cli("retention", "report", "destroyed", "-o", str(xlsx)).exit_code == 0 and xlsx.stat().st_size
    # the destruction file is permanent: never due, never swept
    assert _one(cli("retention", "due", "--as-of", "2999-12-31", "--json")) == []
    assert _one(cli("retention", "sweep", "--as-of", "2999-12-31", "--json"))["listed"] == 0
