"""``luutru audit list`` as people read it (found by the disposal journey,
tests/journeys/test_disposal_procedure.py): it showed ``user:luutruvien`` and UUIDs, so who acted had
to be looked up, and ``--target`` took only an id dug out of the database. Now each entry names the
person by full name and title (``actor_name``) and the target by its code (``target_label``), and
``--target``/``--actor`` take what people know (mã hồ sơ, số đợt hủy, the account name)."""

from __future__ import annotations

import json

ORGAN = "000.00.00.H26"


def _json(out):
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


def test_the_audit_list_names_people_and_what_they_acted_on(cli, data_dir):
    cli.ensure("luutruvien")
    _json(cli("fonds", "create", ORGAN, "--name", "Ủy ban nhân dân tỉnh Hà Nam", "--json"))
    made = _json(cli("dossiers", "create", f"{ORGAN}.2012.01.VP", "--title", "Công văn năm 2012", "--json"))
    entries = _json(cli("audit", "list", "--target", f"{ORGAN}.2012.01.VP", "--json"))
    assert [(e["action"], e["actor_name"], e["target_label"]) for e in entries] == [
        ("dossier.create", "Nguyễn Thị Lan (Chuyên viên lưu trữ)", f"hồ sơ {ORGAN}.2012.01.VP")]
    assert entries[0]["target_id"] == made["id"]
    by_account = _json(cli("audit", "list", "--actor", "luutruvien", "--action", "fonds.", "--json"))
    assert [e["target_label"] for e in by_account] == [f"phông {ORGAN} Ủy ban nhân dân tỉnh Hà Nam"]
    table = cli("audit", "list", "--target", ORGAN, env={"COLUMNS": "200"}).output
    assert "Nguyễn Thị Lan (Chuyên viên lưu trữ)" in table and "user:luutruvien" not in table
