"""``luutru demo`` keeps its promises: run as a newcomer runs it (a real process, an empty data
folder), then every thing it announces is there, seen through the CLI and the running server —
two fonds with dossiers holding filed records, signatures by a person and an agency that verify
VALID, public records that an OAI-PMH harvester lists without logging in (the default
``api.oai_public=true``; the demo's ``oai-demo`` token serves when it is turned off), expired
dossiers due, and a destruction list waiting for the votes of a council of named people. A second run adds nothing."""

from __future__ import annotations

import json
import re

import httpx
from served import run_cli, serve

UBND, STC = "000.00.00.H40", "000.00.13.H40"
SIGNED_DOSSIER = f"{UBND}.2024.01.TH"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _ok(env, *args, as_json: bool = True):
    done = run_cli(env, *args, *(["--json"] if as_json else []))
    assert done.returncode == 0, f"luutru {' '.join(args)} → {done.returncode}\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout) if as_json else done.stdout


def test_the_demo_builds_what_it_promises(tmp_path):
    env = {"LUUTRU_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}
    done = run_cli(env, "demo", timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    out = " ".join(done.stdout.split())
    assert "Đợt hủy số 1/2026" in out and "luutru retention vote 1/2026 approve" in out
    assert "luutru login hoidong1" in out and "luutru verify" in out

    # two fonds with their agencies, dossiers per year with records filed into them
    fonds = {f["organ_id"]: f for f in _ok(env, "fonds", "list")}
    assert set(fonds) == {UBND, STC}
    assert fonds[UBND]["name"] == "Ủy ban nhân dân tỉnh Nghệ An" and fonds[STC]["records"] >= 5
    dossiers = _ok(env, "dossiers", "list")
    assert {d["code"][:13] for d in dossiers} == {UBND, STC}
    assert {d["code"][14:18] for d in dossiers} >= {"2012", "2013", "2024", "2025"}
    assert all(d["doc_total"] >= 2 for d in dossiers), dossiers
    shown = _ok(env, "dossiers", "show", SIGNED_DOSSIER)
    assert len(shown["records"]) == shown["doc_total"] == 2

    # a document signed by a person and by the agency, VALID, found by its số ký hiệu
    first = min(shown["records"], key=lambda r: r["doc_ordinal"])
    report = _ok(env, "verify", first["so_ky_hieu"])
    assert [(s["status"], s["timestamped"]) for s in report["signatures"]] == [("VALID", True)] * 2
    assert [s["signer"] for s in report["signatures"]] == ["Nguyễn Văn Sơn", "Ủy ban nhân dân tỉnh Nghệ An"]
    table = _ok(env, "verify", first["so_ky_hieu"], as_json=False)
    assert first["so_ky_hieu"] in table and not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", table), table  # no uuid
    assert not re.search(r"\d{4}-\d\d-\d\dT", table) and re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", table), table
    shown_record = _ok(env, "show", first["so_ky_hieu"], as_json=False)  # as people read it: Vietnamese, names
    assert f"Văn bản {first['so_ky_hieu']}" in shown_record and "Bản gốc" in shown_record and "Nộp lưu" in shown_record
    assert "Trần Thị Bình" in shown_record and not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", shown_record), shown_record

    # retention applied: expired dossiers due, one list waiting for the council
    due = {d["code"] for d in _ok(env, "retention", "due")}
    assert {f"{UBND}.2012.01.VP", f"{UBND}.2013.02.VP", f"{STC}.2012.01.VP"} <= due
    batch = _ok(env, "retention", "show", "1/2026")
    assert batch["state"] == "listed" and not batch["votes"]
    assert {i["code"] for i in batch["items"]} == {f"{UBND}.2012.01.VP", f"{UBND}.2013.02.VP"}
    people = {batch["people"][m]["full_name"] for m in batch["council"]}
    assert people == {"Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em"}
    assert all(batch["people"][m]["title"] for m in batch["council"])
    text = _ok(env, "retention", "show", "1/2026", as_json=False)
    assert "Lê Văn Cường (Phó Chánh Văn phòng, Chủ tịch Hội đồng)" in " ".join(text.split())
    assert _ok(env, "retention", "report", "unfiled"), "the demo leaves work to file"
    # in an 80-column terminal the codes people type next are whole, dates dd/mm/yyyy
    narrow = {**env, "COLUMNS": "80"}
    shown80, due80 = (_ok(narrow, "retention", cmd, *rest, as_json=False) for cmd, *rest in
                      (("show", "1/2026"), ("due",)))
    assert f"{UBND}.2012.01.VP" in shown80 and f"{UBND}.2013.02.VP" in shown80, shown80
    assert f"{STC}.2012.01.VP" in due80 and "31/12/2022" in due80 and "2022-12-31" not in due80, due80

    # public records for OAI-PMH: harvesters do not log in (only public records are ever listed)
    tokens = dict(line.split("\t")[0::2] for line in (tmp_path / "data" / "demo-accounts.txt")
                  .read_text(encoding="utf-8").splitlines())
    with serve(env, tmp_path / "serve.log") as srv:
        params = {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}
        r = httpx.get(srv.base + "/oai", params=params, timeout=30)
        assert r.status_code == 200, r.text
        with_token = httpx.get(srv.base + "/oai", params=params, timeout=30,
                               headers={"Authorization": f"Bearer {tokens['oai-demo']}"})
        assert with_token.status_code == 200 and with_token.text.count("<identifier>oai:") == \
            r.text.count("<identifier>oai:")
        assert len(re.findall(r"<identifier>oai:", r.text)) >= 7, r.text[:2000]  # 3 dossiers' records are public
        # and the council member can log in and see the ballot
        login = httpx.post(srv.base + "/api/v1/auth/login", timeout=30,
                           json={"username": "hoidong1", "password": tokens["hoidong1"]})
        assert login.status_code == 200, login.text

    # a second run finds everything and adds nothing
    again = run_cli(env, "demo", timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "lần này lưu 0 văn bản" in " ".join(again.stdout.split())
    assert len(_ok(env, "dossiers", "list")) == len(dossiers)
    assert _ok(env, "retention", "show", "1/2026")["state"] == "listed"
    assert run_cli(env, "retention", "show", "2/2026").returncode != 0
