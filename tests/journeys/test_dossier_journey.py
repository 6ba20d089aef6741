"""An archivist's day with dossiers, each step a real ``luutru`` process as in a terminal, on the
embedded SQLite and on PostgreSQL: create the fonds and dossiers, ingest into one, file the unfiled
records, close the dossier, be refused an ingest into it (no file touched), reopen it with a
reason, and see its dates, totals and due date follow its records."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

import pytest
from served import account, run_cli

from kit.corpus.generator import generate_pdf, random_doc_spec

ORGAN = "000.00.00.H26"
CODE = f"{ORGAN}.2011.01.VP"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def env(request, tmp_path) -> dict[str, str]:
    out = {"LUUTRU_DATA_DIR": str(tmp_path / "data"), "LOGNAME": "tran.binh", "COLUMNS": "200"}
    if request.param == "postgres":
        out["LUUTRU_DB__URL"] = request.getfixturevalue("postgres_url")
    return account(out, "tran.binh", full_name="Trần Văn Bình")  # every change is a named person's


def _pdf(folder: Path, seed: int, issued: date) -> str:
    spec = random_doc_spec(random.Random(seed), doc_type="Công văn", marks=False, pages=1, issued=issued)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"cv-{seed}.pdf"
    path.write_bytes(generate_pdf(spec))
    return str(path)


def _run(env, *args, code: int = 0) -> str:
    done = run_cli(env, *args)
    assert done.returncode == code, f"luutru {' '.join(args)} → {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def _json(env, *args):
    done = run_cli(env, *args, "--json")
    assert done.returncode == 0, f"luutru {' '.join(args)} → {done.returncode}\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout)


def _originals(env) -> list[Path]:
    folder = Path(env["LUUTRU_DATA_DIR"])
    return sorted(p for sub in ("objects/sha256", "quarantine") for p in (folder / sub).rglob("*") if p.is_file())


def test_an_archivists_day_with_dossiers(env, tmp_path):
    sched = tmp_path / "bang.csv"
    sched.write_text("item_code,description,period\n1,Công văn trao đổi,10\n", encoding="utf-8")
    _run(env, "retention", "import", str(sched), "--code", "coquan")
    _run(env, "retention", "assign", "--rule", "coquan/1", "--criteria", '{"type_names": ["Công văn"]}')
    _run(env, "fonds", "create", ORGAN, "--name", "Ủy ban nhân dân tỉnh Hà Nam")
    made = _json(env, "dossiers", "create", CODE, "--title", "Công văn trao đổi năm 2011", "--start-date", "01/01/2011")
    listed = _run(env, "dossiers", "list")
    assert CODE in listed and made["id"][:8] in listed

    inbox = tmp_path / "in"
    _run(env, "ingest", _pdf(inbox / "a", 1, date(2011, 4, 5)), "--dossier", CODE)
    _run(env, "ingest", _pdf(inbox / "b", 2, date(2011, 9, 9)), _pdf(inbox / "b", 3, date(2012, 1, 20)))
    unfiled = _json(env, "retention", "report", "unfiled")
    assert len(unfiled) == 2
    filed = _json(env, "records", "file", *[u["so_ky_hieu"] for u in unfiled], "--dossier", CODE,
                  "--reason", "Lập hồ sơ năm 2011")
    assert sorted(f["doc_ordinal"] for f in filed["filed"]) == [2, 3]
    assert _json(env, "retention", "report", "unfiled") == []
    shown = _json(env, "dossiers", "show", CODE)
    assert (shown["doc_total"], shown["start_date"], shown["end_date"], shown["due_date"]) == (
        3, "2011-01-01", "2012-01-20", "2022-12-31")

    _run(env, "dossiers", "close", CODE)
    before = _originals(env)
    refused = _run(env, "ingest", _pdf(inbox / "c", 4, date(2013, 2, 2)), "--dossier", CODE, code=2)
    assert "đã kết thúc" in " ".join(refused.split())
    assert _originals(env) == before  # not stored, not quarantined
    _run(env, "dossiers", "reopen", CODE, "--reason", "Bổ sung công văn năm 2013")
    _run(env, "ingest", str(inbox / "c"), "--dossier", CODE)
    shown = _json(env, "dossiers", "show", CODE)
    assert (shown["doc_total"], shown["end_date"], shown["due_date"], shown["status"]) == (
        4, "2013-02-02", "2023-12-31", "open")
    table = _run(env, "dossiers", "show", CODE)
    assert "01/01/2011" in table and "02/02/2013" in table and "31/12/2023" in table
    audit = _json(env, "audit", "list", "--limit", "1000")
    mine = {(e["action"], e["actor"]) for e in audit}
    for action in ("dossier.create", "record.file", "dossier.close", "dossier.reopen"):
        assert (action, "user:tran.binh") in mine, action
