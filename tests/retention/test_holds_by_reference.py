"""A hold names what it protects the way people name it — and then protects it.

Regression (issue 13, defect 1): ``luutru retention hold --dossiers 000.00.00.H26.2012.03.VP`` (a
mã hồ sơ) answered "Đã phong tỏa", stored the code as an id, matched nothing, and the dossier was
destroyed. Holds on things that do not exist were accepted. A batch whose every dossier was held
ended "destroyed" with nothing destroyed and no minutes. Each is tested through the CLI on SQLite
and PostgreSQL, as an archivist would run it.
"""

from __future__ import annotations

import json
import random
import uuid

import sqlalchemy as sa

from archive.catalogue.retention_tables import RetentionHold
from kit.corpus.generator import generate_pdf, random_doc_spec
from retention.holds import HoldGuard

ORGAN = "000.00.00.H26"
CODE = f"{ORGAN}.2012.03.VP"


def _one(out) -> dict:
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


def _services():
    from api.wiring import build_services, get_settings

    get_settings.cache_clear()
    return build_services(get_settings())


def _pdf(tmp_path, name: str, doc_type: str, seed: int):
    path = tmp_path / name
    path.write_bytes(generate_pdf(random_doc_spec(random.Random(seed), doc_type=doc_type, marks=False, pages=1)))
    return path


def _due_dossier(cli, tmp_path) -> tuple[str, str, dict[str, str]]:
    """A dossier of 2012 with one Công văn, due for review (5 years), and three loose documents for
    the procedure (Tờ trình, Biên bản họp, Quyết định hủy). Returns (dossier id, record id, docs)."""
    assert cli("init").exit_code == 0
    sched = tmp_path / "agency.csv"
    sched.write_text("item_code,description,period\n1,Công văn trao đổi,5\n", encoding="utf-8")
    _one(cli("retention", "import", str(sched), "--code", "agency", "--json"))
    _one(cli("retention", "assign", "--rule", "agency/1", "--criteria", '{"type_names": ["Công văn"]}', "--json"))
    services = _services()
    try:
        services.archive.ensure_fonds(ORGAN, "Ủy ban nhân dân tỉnh Hà Nam")
        did = services.archive.create_dossier(organ_id=ORGAN, year=2012, notation="03.VP",
                                              title="Công văn trao đổi năm 2012")
    finally:
        services.close()

    def ingest(path, *extra) -> str:
        out = cli("ingest", str(path), "--json", *extra)
        assert out.exit_code == 0, out.output
        return json.loads(out.output.splitlines()[0])["record_id"]

    rec = ingest(_pdf(tmp_path, "cv.pdf", "Công văn", 21), "--dossier", CODE)
    docs = {n: ingest(_pdf(tmp_path, f"{n}.pdf", "Quyết định (cá biệt)", seed))
            for n, seed in (("minutes", 22), ("decision", 23))}
    return did, rec, docs


def test_a_hold_by_dossier_code_protects_the_dossier_through_the_whole_procedure(cli, db_env, tmp_path, monkeypatch):
    as_user = cli.as_user
    cli.ensure("hoidong1", "hoidong2", "hoidong3", "chanhvanphong", "luutruvien")
    did, rec, docs = _due_dossier(cli, tmp_path)

    # placed before the sweep, by code: the sweep sees the dossier held and does not list it
    hold = _one(cli("retention", "hold", "--authority", "Tòa án nhân dân tỉnh", "--reason", "Vụ án số 12",
                    "--dossiers", CODE, "--json"))["hold_id"]
    swept = _one(cli("retention", "sweep", "--as-of", "2025-01-01", "--json"))
    assert swept["held"] == [did] and swept["listed"] == 0
    assert _one(cli("retention", "release", hold, "--reason", "Đã xét xử xong", "--json"))["released"]
    assert _one(cli("retention", "sweep", "--as-of", "2025-01-01", "--json"))["listed_ids"] == [did]

    batch = _one(cli("retention", "propose", "--title", "Đợt hủy 2025", "--explanation", "Hết thời hạn bảo quản",
                     "--council", "hoidong1,hoidong2,hoidong3", "--json"))["batch_id"]
    for member in ("hoidong1", "hoidong2", "hoidong3"):
        as_user(member)
        _one(cli("retention", "vote", batch, "approve", "--json"))
    as_user("luutruvien")
    assert _one(cli("retention", "review", batch[:8], "--minutes", docs["minutes"], "--json"))["majority"]

    # a court order arrives after the council's review, naming the dossier by its code (any case)
    _one(cli("retention", "hold", "--authority", "Tòa án nhân dân tỉnh", "--reason", "Vụ án số 13",
             "--dossiers", CODE.lower(), "--json"))
    as_user("chanhvanphong")
    approved = _one(cli("retention", "approve", batch, "--decision", docs["decision"], "--json"))
    assert approved["state"] == "withdrawn" and list(approved["excluded_held"]) == [did]
    refused = cli("retention", "destroy", batch)
    assert refused.exit_code == 1 and "Dừng: mọi hồ sơ" in refused.output
    # the held record is still there, bytes and all; nothing is in the register of destroyed records
    shown = _one(cli("show", rec, "--json"))
    assert shown["status"] == "active" and shown["dossier_id"] == did
    assert _one(cli("retention", "report", "destroyed", "--json")) == []


def test_a_hold_on_something_that_does_not_exist_is_refused_and_stores_nothing(cli, db_env, tmp_path):
    did, rec, _docs = _due_dossier(cli, tmp_path)
    for option, value in (("--dossiers", "khong-ton-tai"), ("--dossiers", f"{did},{ORGAN}.2012.04.VP"),
                          ("--records", "999/QĐ-UBND"), ("--records", str(uuid.uuid4()))):
        out = cli("retention", "hold", "--authority", "Tòa án", "--reason", "Vụ án", option, value)
        assert out.exit_code == 1, out.output
        assert "Không tìm thấy" in out.output and "Đã phong tỏa" not in out.output
    services = _services()
    try:
        with services.catalogue.session() as s:
            assert s.execute(sa.select(sa.func.count()).select_from(RetentionHold)).scalar_one() == 0
    finally:
        services.close()
    # the record's số ký hiệu works where its id does
    skh = _one(cli("show", rec, "--json"))["so_ky_hieu"]
    held = _one(cli("retention", "hold", "--authority", "Tòa án", "--reason", "Vụ án", "--records", skh, "--json"))
    services = _services()
    try:
        with services.catalogue.session() as s:
            hold = s.get(RetentionHold, held["hold_id"])
            assert hold.scope["ids"] == [rec] and hold.scope["refs"] == [skh]
    finally:
        services.close()


def test_a_hold_stored_with_a_dossier_code_before_the_fix_still_protects(archive_service, make_dossier):
    """Holds written by the old code kept the mã hồ sơ where an id belongs: the guard honours them."""
    did, ids = make_dossier(year=2012, notation="03.VP")
    with archive_service.catalogue.session() as s:
        code = s.execute(sa.text("select code from dossiers where id = :i"), {"i": did}).scalar_one()
        s.add(RetentionHold(id=str(uuid.uuid4()), authority="Tòa án", reason="Vụ án", scope_type="dossiers",
                            scope={"ids": [code]}, placed_by="cli:root"))
    with archive_service.catalogue.session() as s:
        assert set(HoldGuard().held(s, ids)) == set(ids)
        from archive.catalogue.models import Dossier

        assert set(HoldGuard().held_dossiers(s, [s.get(Dossier, did)])) == {did}
