"""``luutru quarantine …`` through real ``luutru`` processes (``served.run_cli``), as a person in a
terminal runs them: list and show as the machine's operator, release and discard as a named
archivist, and two releases of one entry started at the same moment from two processes."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from served import ROOT, account, child_env, run_cli


def _entry(data: Path, tmp_path: Path, content: bytes, name: str, **kw) -> str:
    from api.http.routes.records import _ingest_service
    from api.wiring import build_services
    from archive.settings import load_settings
    from ingest.pipeline import SourceFile

    path = tmp_path / name
    path.write_bytes(content)
    services = build_services(load_settings({"LUUTRU_DATA_DIR": str(data)}))
    try:
        outcome = _ingest_service(services).run(SourceFile(path=path, submitter="user:canbo", **kw))
    finally:
        services.close()
    assert outcome.outcome == "rejected", outcome
    return Path(outcome.quarantine).name


def _originals(data: Path, sha: str) -> int:
    engine = sa.create_engine(f"sqlite:///{data / 'catalogue.db'}")
    with engine.connect() as c:
        n = c.execute(sa.text("select count(*) from components where sha256 = :s and role = 'original'"),
                      {"s": sha}).scalar_one()
    engine.dispose()
    return n


def test_cli_list_show_release_discard(tmp_path, sample_pdfs):
    data = tmp_path / "data"
    env = {"LUUTRU_DATA_DIR": str(data)}
    person = account(env, "luutruvien")
    fixable = _entry(data, tmp_path, sample_pdfs[0][1], "tờ trình.pdf", dossier_code="KHONG-CO")
    empty = _entry(data, tmp_path, b"", "rỗng.pdf")

    r = run_cli(env, "quarantine", "list", "--json")
    assert r.returncode == 0, r.stderr
    assert {e["id"] for e in json.loads(r.stdout)} == {fixable, empty}
    r = run_cli(env, "quarantine", "list")
    assert "Tệp rỗng (0 byte)" in r.stdout and "Khu cách ly (2 tệp)" in r.stdout
    r = run_cli(env, "quarantine", "list", "--date", "31/02/2026")
    assert r.returncode != 0 and "Ngày không hợp lệ" in r.stderr
    r = run_cli(env, "quarantine", "show", "../../etc")
    assert r.returncode == 1 and "Mã mục cách ly không hợp lệ" in r.stderr
    r = run_cli(env, "quarantine", "show", fixable[:8])
    assert r.returncode == 0 and "KHONG-CO" in r.stdout

    # a write without an account stops with exit 2 and says how to log in
    r = run_cli(env, "quarantine", "discard", empty, "--reason", "x")
    assert r.returncode == 2 and "đăng nhập" in r.stderr.lower()
    r = run_cli(person, "quarantine", "discard", empty, "--reason", "  ")
    assert r.returncode == 1 and "Cần ghi lý do hủy" in r.stderr
    r = run_cli(person, "quarantine", "release", empty, "--set", "subject=Sửa")
    assert r.returncode == 1 and "Vẫn bị từ chối" in r.stdout
    r = run_cli(person, "quarantine", "release", fixable, "--set", "bogus=1")
    assert r.returncode == 2 and "bogus" in r.stderr
    r = run_cli(person, "quarantine", "release", fixable, "--dossier", "", "--set", "access_level=internal", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["released"] is True and out["outcome"] == "ingested"
    r = run_cli(person, "quarantine", "discard", empty, "--reason", "Tệp rỗng, nộp nhầm", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["actor"] == "user:luutruvien"
    r = run_cli(env, "quarantine", "list", "--json")
    assert json.loads(r.stdout) == []
    assert (data / "quarantine" / "_log" / "discarded" / f"{empty}.json").is_file()
    # an official may not
    official = account(env, "canbo", role="official")
    r = run_cli(official, "quarantine", "list")
    assert r.returncode == 1 and "deposit" in r.stderr


def test_two_releases_of_one_entry_at_once_make_one_record(tmp_path, sample_pdfs):
    data = tmp_path / "data"
    env = {"LUUTRU_DATA_DIR": str(data)}
    person = account(env, "luutruvien")
    entry = _entry(data, tmp_path, sample_pdfs[1][1], "công văn.pdf", dossier_code="KHONG-CO")
    sha = hashlib.sha256(sample_pdfs[1][1]).hexdigest()
    procs = [subprocess.Popen([sys.executable, "-m", "api.cli", "quarantine", "release", entry, "--dossier", "",
                               "--json"], env=child_env(person), cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]
    # one released it; the other was told the entry is busy (or already gone) and did nothing —
    # not a second run of the pipeline ending in "duplicate"
    assert sorted(code for code, _out, _err in results) == [0, 1], results
    (released,) = [json.loads(out) for code, out, _ in results if code == 0]
    assert released["released"] is True and released["outcome"] == "ingested"
    err = next(e for code, _o, e in results if code != 0)
    assert "đang được người khác" in err or "Không tìm thấy mục cách ly" in err, err
    assert _originals(data, sha) == 1
    assert json.loads(run_cli(env, "quarantine", "list", "--json").stdout) == []


def test_cli_shows_the_submitter_by_name(tmp_path, sample_pdfs):
    data = tmp_path / "data"
    env = {"LUUTRU_DATA_DIR": str(data), "COLUMNS": "250"}
    account(env, "luutruvien")  # Nguyễn Thị Lan, Chuyên viên lưu trữ
    _entry(data, tmp_path, sample_pdfs[2][1], "báo cáo.pdf", dossier_code="KHONG-CO")
    mine = _entry(data, tmp_path, b"", "rong.pdf")
    # both submitted by user:canbo (no account): make the second the archivist's
    reason = next((data / "quarantine").glob(f"*/{mine}/reason.json"))
    kept = json.loads(reason.read_text(encoding="utf-8"))
    reason.write_text(json.dumps({**kept, "submitter": "user:luutruvien"}, ensure_ascii=False), encoding="utf-8")

    r = run_cli(env, "quarantine", "list")
    assert r.returncode == 0, r.stderr
    assert "Nguyễn Thị Lan (Chuyên viên lưu trữ)" in r.stdout and "user:canbo" in r.stdout  # unknown: the account
    r = run_cli(env, "quarantine", "show", mine)
    assert "Người nộp: Nguyễn Thị Lan (Chuyên viên lưu trữ) — tài khoản user:luutruvien" in r.stdout
    r = run_cli(env, "quarantine", "list", "--submitter", "nguyen thi lan", "--json")
    assert [e["id"] for e in json.loads(r.stdout)] == [mine]
    assert json.loads(r.stdout)[0]["submitter_name"] == "Nguyễn Thị Lan (Chuyên viên lưu trữ)"
