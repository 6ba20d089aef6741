"""``luutru fonds``, ``luutru dossiers``, ``luutru records file`` and ``luutru ingest --dossier``
as an archivist runs them, on the embedded SQLite and on PostgreSQL (``LUUTRU_DB__URL``): the
procedure from an empty archive to a filed, closed and reopened dossier whose dates, totals and due
date follow its records, and the mistakes people make — each refused with a Vietnamese message and
nothing touched."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from kit.corpus.generator import generate_pdf, random_doc_spec

ORGAN = "000.00.00.H26"
CODE = f"{ORGAN}.2010.01.VP"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request, data_dir, monkeypatch):
    if request.param == "postgres":
        monkeypatch.setenv("LUUTRU_DB__URL", request.getfixturevalue("postgres_url"))
    return request.param


def _pdf(folder: Path, name: str, seed: int, issued: date, doc_type: str = "Công văn") -> Path:
    spec = random_doc_spec(random.Random(seed), doc_type=doc_type, marks=False, pages=2, issued=issued)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(generate_pdf(spec))
    return path


def _json(out):
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


def _said(out) -> str:
    """What the command printed, with Rich's line wrapping undone."""
    return " ".join(out.output.split())


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _ingest(cli, *args) -> list[dict]:
    out = cli("ingest", *args, "--json")
    assert out.exit_code == 0, out.output
    # one JSON object per file; the runner mixes stderr (warnings) into the same text
    return [json.JSONDecoder().raw_decode(line)[0] for line in out.output.splitlines() if line.startswith("{")]


def test_the_archivists_procedure(cli, db, data_dir, tmp_path):
    """GIVEN an empty archive WHEN an archivist creates a fonds and dossiers, ingests into one,
    files the unfiled records by số ký hiệu, closes it, is refused an ingest into it, reopens it
    with a reason THEN the dossier's dates, totals and due date follow its records at each step."""
    assert cli("init").exit_code == 0
    sched = tmp_path / "agency.csv"
    sched.write_text("item_code,description,period\n1,Công văn trao đổi,5\n", encoding="utf-8")
    assert cli("retention", "import", str(sched), "--code", "agency").exit_code == 0
    assert cli("retention", "assign", "--rule", "agency/1", "--criteria", '{"type_names": ["Công văn"]}').exit_code == 0

    fonds = _json(cli("fonds", "create", ORGAN, "--name", "Ủy ban nhân dân tỉnh Hà Nam", "--json"))
    again = cli("fonds", "create", ORGAN, "--name", "Trùng")
    assert again.exit_code == 1 and "Đã có phông" in _said(again)
    made = _json(cli("dossiers", "create", CODE.lower(), "--title", "Công văn trao đổi năm 2010",
                     "--end-date", "31/12/2010", "--creator", "Trần Thị Bình", "--json"))
    assert (made["code"], made["fonds_id"], made["declared_end_date"]) == (CODE, fonds["id"], "2010-12-31")
    second = _json(cli("dossiers", "create", "--fonds", ORGAN, "--year", "2010", "--notation", "02.VP",
                       "--title", "Hồ sơ hội nghị", "--retention", "agency/1", "--json"))
    assert second["retention"] == "5 năm"  # the period of the Danh mục hồ sơ, a manual decision
    listing = cli("dossiers", "list")
    assert CODE in _said(listing) and made["id"][:8] in _said(listing) and second["id"][:8] in _said(listing)

    inbox = tmp_path / "in"
    [first] = _ingest(cli, str(_pdf(inbox / "a", "cv1.pdf", 1, date(2010, 5, 4))), "--dossier", made["id"][:8])
    assert first["outcome"] == "ingested"
    loose = _ingest(cli, str(_pdf(inbox / "b", "cv2.pdf", 2, date(2010, 8, 1))),
                    str(_pdf(inbox / "b", "cv3.pdf", 3, date(2012, 3, 3))))
    unfiled = _json(cli("retention", "report", "unfiled", "--json"))
    assert {r["record_id"] for r in unfiled} == {r["record_id"] for r in loose}
    refs = [r["so_ky_hieu"] for r in unfiled]
    assert all(refs)
    filed = _json(cli("records", "file", *refs, "--dossier", CODE, "--reason", "Lập hồ sơ công văn 2010", "--json"))
    assert [f["doc_ordinal"] for f in filed["filed"]] == [2, 3]
    assert _json(cli("retention", "report", "unfiled", "--json")) == []
    shown = _json(cli("dossiers", "show", CODE, "--json"))
    assert (shown["doc_total"], shown["page_total"], shown["start_date"], shown["end_date"]) == (
        3, 6, "2010-05-04", "2012-03-03")
    assert (shown["retention"], shown["due_date"]) == ("5 năm", "2017-12-31")  # 31/12 of (2012 + 5)
    assert [r["doc_ordinal"] for r in shown["records"]] == [1, 2, 3]
    table = cli("dossiers", "show", CODE)
    assert "04/05/2010" in _said(table) and "03/03/2012" in _said(table) and "31/12/2017" in _said(table)

    assert cli("dossiers", "close", CODE, "--reason", "Kết thúc công việc").exit_code == 0
    objects, quarantine = data_dir / "objects" / "sha256", data_dir / "quarantine"  # (not the audit anchors)
    before = (_files(objects), _files(quarantine))
    refused = cli("ingest", str(_pdf(inbox / "c", "cv4.pdf", 4, date(2013, 1, 2))), "--dossier", CODE)
    assert refused.exit_code == 2 and "đã kết thúc" in _said(refused) and "Chưa nộp tệp nào" in _said(refused)
    assert (_files(objects), _files(quarantine)) == before
    assert cli("dossiers", "reopen", CODE).exit_code == 2  # --reason is required
    blank = cli("dossiers", "reopen", CODE, "--reason", " ")
    assert blank.exit_code == 1 and "Cần ghi lý do" in _said(blank)
    assert cli("dossiers", "reopen", CODE, "--reason", "Bổ sung công văn năm 2013").exit_code == 0
    [late] = _ingest(cli, str(inbox / "c" / "cv4.pdf"), "--dossier", CODE)
    assert late["outcome"] == "ingested"
    shown = _json(cli("dossiers", "show", CODE, "--json"))
    assert (shown["doc_total"], shown["end_date"], shown["due_date"]) == (4, "2013-01-02", "2018-12-31")

    # misfiled: moved to the other dossier, the dates and due date of both follow
    moved = _json(cli("records", "file", late["record_id"], "--dossier", second["code"], "--reason", "Để nhầm hồ sơ",
                      "--json"))
    assert moved["filed"][0]["from_code"] == CODE and moved["dossier"]["end_date"] == "2013-01-02"
    assert moved["dossier"]["due_date"] == "2018-12-31"
    assert _json(cli("dossiers", "show", CODE, "--json"))["due_date"] == "2017-12-31"

    # a dossier whose dates were written around the listeners (as before migration 0009): refresh
    from api.wiring import build_services, get_settings

    get_settings.cache_clear()
    services = build_services(get_settings())
    try:
        with services.catalogue.engine.begin() as conn:
            conn.execute(sa.text("update dossiers set end_date = :d, due_date = :due, doc_total = 0 where code = :c"),
                         {"d": date(2010, 6, 30), "due": date(2015, 12, 31), "c": CODE})
    finally:
        services.close()
    assert _json(cli("dossiers", "refresh", CODE, "--json")) == {"refreshed": 1}
    shown = _json(cli("dossiers", "show", CODE, "--json"))
    assert (shown["doc_total"], shown["end_date"], shown["due_date"]) == (3, "2012-03-03", "2017-12-31")
    assert _json(cli("dossiers", "refresh", "--all", "--json"))["refreshed"] == 2
    audit = cli("audit", "list", "--json")
    actions = [e["action"] for e in json.loads(audit.output)] if audit.exit_code == 0 else []
    for action in ("fonds.create", "dossier.create", "record.file", "dossier.close", "dossier.reopen"):
        assert action in actions, action


def test_an_unknown_dossier_touches_no_file(cli, db, data_dir, tmp_path):
    """GIVEN files and a dossier code that does not exist WHEN ingested THEN the run stops before
    any file is read: exit 2, nothing in the quarantine or the object store (the files were all
    quarantined before, and again at every re-run); --create-dossier needs the fonds first."""
    inbox = tmp_path / "in"
    paths = [str(_pdf(inbox, f"cv{i}.pdf", 10 + i, date(2025, 3, i + 1))) for i in range(3)]
    code = f"{ORGAN}.2025.07.VP"
    for _ in range(2):
        out = cli("ingest", *paths, "--dossier", code)
        assert out.exit_code == 2, out.output
        assert "Không tìm thấy hồ sơ" in _said(out) and "--create-dossier" in _said(out)
    assert _files(data_dir / "quarantine") == [] and _files(data_dir / "objects" / "sha256") == []
    out = cli("ingest", *paths, "--dossier", code, "--create-dossier")
    assert out.exit_code == 2 and "Không có phông của cơ quan mã 000.00.00.H26" in _said(out)
    bad = cli("ingest", *paths, "--dossier", "hồ sơ năm nay", "--create-dossier")
    assert bad.exit_code == 2 and "không đúng dạng" in _said(bad)
    assert _files(data_dir / "quarantine") == [] and _files(data_dir / "objects" / "sha256") == []

    assert cli("fonds", "create", ORGAN, "--name", "Ủy ban nhân dân tỉnh Hà Nam").exit_code == 0
    rows = _ingest(cli, *paths, "--dossier", code, "--create-dossier", "--title", "Công văn tháng 3 năm 2025")
    assert [r["outcome"] for r in rows] == ["ingested"] * 3
    shown = _json(cli("dossiers", "show", code, "--json"))
    assert (shown["title"], shown["doc_total"], shown["start_date"], shown["end_date"]) == (
        "Công văn tháng 3 năm 2025", 3, "2025-03-01", "2025-03-03")


def test_mistakes_are_explained(cli, db, tmp_path):
    assert cli("fonds", "create", ORGAN, "--name", "Ủy ban nhân dân tỉnh Hà Nam").exit_code == 0
    bad_fonds = cli("fonds", "create", "H26", "--name", "x")
    assert bad_fonds.exit_code == 1 and "000.00.00.H26" in _said(bad_fonds)
    out = cli("dossiers", "create", f"{ORGAN}.2025.01.VP", "--title", "x" * 501, "--start-date", "31/12/2025",
              "--end-date", "01/01/2025", "--access-regime", "bí mật")
    assert out.exit_code == 1
    for words in ("501 ký tự, tối đa 500", "trước thời gian bắt đầu", "Chế độ sử dụng"):
        assert words in _said(out), words
    no_fonds = cli("dossiers", "create", "000.00.00.H99.2025.01.VP", "--title", "x")
    assert no_fonds.exit_code == 1 and "Không tìm thấy phông" in _said(no_fonds) and "fonds create" in _said(no_fonds)
    assert cli("dossiers", "create", "--fonds", ORGAN, "--title", "x").exit_code == 2
    missing = cli("dossiers", "show", f"{ORGAN}.2025.99.VP")
    assert missing.exit_code == 1 and "Không tìm thấy hồ sơ" in _said(missing)
    made = _json(cli("dossiers", "create", f"{ORGAN}.2025.01.VP", "--title", "Công văn 2025", "--json"))
    assert "tối đa 500" in _said(cli("dossiers", "edit", made["code"], "--title", "y" * 600))
    assert cli("dossiers", "edit", made["code"]).exit_code == 2  # nothing to change
    wrong_item = cli("dossiers", "create", f"{ORGAN}.2025.02.VP", "--title", "x", "--retention", "khong-co/1")
    assert wrong_item.exit_code == 1 and cli("dossiers", "show", f"{ORGAN}.2025.02.VP").exit_code == 1

    inbox = tmp_path / "in"
    for i in range(2):  # two documents with the same số ký hiệu (two agencies number alike)
        spec = random_doc_spec(random.Random(40 + i), doc_type="Công văn", marks=False, pages=1)
        (inbox / str(i)).mkdir(parents=True)
        (inbox / str(i) / "cv.pdf").write_bytes(generate_pdf(spec))
    rows = _ingest(cli, str(inbox))
    ids = [r["record_id"] for r in rows]
    with_skh = _json(cli("retention", "report", "unfiled", "--json"))
    skh = with_skh[0]["so_ky_hieu"]
    from api.wiring import build_services, get_settings  # give both the same số ký hiệu

    get_settings.cache_clear()
    services = build_services(get_settings())
    try:
        from archive.catalogue.models import Record

        with services.catalogue.session() as s:
            number, notation = skh.split("/", 1)
            for rid in ids:
                s.get(Record, rid).code_number, s.get(Record, rid).code_notation = number, notation
    finally:
        services.close()
    ambiguous = cli("records", "file", skh, "--dossier", made["code"], "--reason", "lập hồ sơ")
    assert ambiguous.exit_code == 1 and "Có 2 văn bản" in _said(ambiguous) and ids[0] in _said(ambiguous)
    typo = cli("records", "file", ids[0], "999/KHONG-CO", "--dossier", made["code"], "--reason", "lập hồ sơ")
    assert typo.exit_code == 1 and "999/KHONG-CO" in _said(typo)
    assert cli("records", "file", ids[0], "--dossier", made["code"]).exit_code == 2  # --reason is required
    assert _json(cli("dossiers", "show", made["code"], "--json"))["doc_total"] == 0  # nothing moved
