"""``luutru import edxml`` as a user runs it: the installed console script in its own process, on
a folder holding the shared samples plus hostile files, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from served import ROOT, account, child_env

from api.wiring import build_services
from archive.catalogue.models import Record
from archive.settings import load_settings

LUUTRU = str(Path(sys.executable).parent / "luutru")
DATA = Path(__file__).resolve().parents[1] / "data" / "edxml"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def env(request, tmp_path):
    env = {"LUUTRU_DATA_DIR": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    if request.param == "postgres":
        env["LUUTRU_DB__URL"] = request.getfixturevalue("postgres_url")
    return account(env)


def _luutru(env, *args):
    return subprocess.run([LUUTRU, *args], env=child_env(env), cwd=ROOT, capture_output=True, text=True, timeout=600,
                          check=False)


def test_a_folder_of_messages(env, tmp_path):
    """GIVEN a folder with the three samples, a prose file, a billion-laughs file and an empty file
    WHEN ``luutru import edxml FOLDER --json`` THEN the documents are imported with their số ký
    hiệu, the status is recorded, the three bad files are rejected with their codes, exit 1; a
    second run finds duplicates only."""
    inbox = tmp_path / "hop-thu"
    inbox.mkdir()
    for name in ("synthetic_edoc_new.edxml", "synthetic_edoc_variant_lgsp.edxml"):
        shutil.copy(DATA / name, inbox / f"1-{name}")
    shutil.copy(DATA / "synthetic_status_03.edxml", inbox / "2-status.edxml")
    (inbox / "3-thu.edxml").write_text("Kính gửi anh chị, tôi gửi văn bản qua thư điện tử.", encoding="utf-8")
    (inbox / "4-bom.edxml").write_text('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaaaaaaaa">'
                                       '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><edXML>&b;</edXML>')
    (inbox / "5-rong.edxml").write_bytes(b"")
    run = _luutru(env, "import", "edxml", str(inbox), "--json")
    assert run.returncode == 1, run.stderr
    rows = {Path(r["path"]).name: r for r in map(json.loads, run.stdout.splitlines())}
    first = rows["1-synthetic_edoc_new.edxml"]
    assert (first["outcome"], first["so_ky_hieu"]) == ("ingested", "123/STN-VP")
    assert (rows["1-synthetic_edoc_variant_lgsp.edxml"]["outcome"],
            rows["1-synthetic_edoc_variant_lgsp.edxml"]["so_ky_hieu"]) == ("ingested", "45/STNSH-VP")
    assert (rows["2-status.edxml"]["outcome"], rows["2-status.edxml"]["record_id"]) == ("status", first["record_id"])
    assert {n: rows[n]["code"] for n in ("3-thu.edxml", "4-bom.edxml", "5-rong.edxml")} == {
        "3-thu.edxml": "edxml_malformed", "4-bom.edxml": "edxml_forbidden_dtd", "5-rong.edxml": "empty_file"}
    assert all(rows[n]["quarantine"] for n in ("3-thu.edxml", "4-bom.edxml", "5-rong.edxml"))

    settings = load_settings({k: v for k, v in env.items() if k.startswith("LUUTRU_") and "USER" not in k
                              and "PASSWORD" not in k})
    services = build_services(settings)
    try:
        with services.catalogue.session() as s:
            rec = s.get(Record, first["record_id"])
            assert (rec.code_number, rec.code_notation, str(rec.issued_date), rec.signer_name) == (
                "123", "STN-VP", "2025-07-01", "Trần Văn Mẫu")
            assert s.execute(sa.select(sa.func.count()).select_from(Record)).scalar() == 2
    finally:
        services.close()

    again = _luutru(env, "import", "edxml", str(inbox / "1-synthetic_edoc_new.edxml"))
    assert again.returncode == 0, again.stderr
    assert "Trùng (đã có trong kho)" in again.stdout and "123/STN-VP" in again.stdout


def test_unknown_path(env, tmp_path):
    run = _luutru(env, "import", "edxml", str(tmp_path / "khong-co.edxml"))
    assert run.returncode == 1 and "Không tìm thấy" in run.stderr + run.stdout
