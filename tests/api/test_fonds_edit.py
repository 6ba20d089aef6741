"""Editing a fonds (phông): ``PATCH /api/v1/fonds/{fonds_id}`` on SQLite and PostgreSQL, and
``luutru fonds edit CODE --set field=value … --reason …`` through a real ``luutru`` process.

Only the descriptive fields change (name, superior agency, place, notes); the agency code is the
fonds' identity (every mã hồ sơ carries it) and is refused. Every change is audited with the old
and new values; a refusal is a problem+json with a Vietnamese ``detail_vi`` and changes nothing."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from apienv import ApiEnv
from hypothesis import given
from hypothesis import strategies as st
from served import account, run_cli

from api.cli.collections import FONDS_ALIASES, parse_sets
from archive.catalogue.models import AuditEntry
from archive.dossiers import FONDS_EDITABLE

ORGAN, OTHER = "000.00.00.H26", "000.00.00.H40"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def api_settings(request) -> dict[str, str]:
    """The ``api`` fixture's archive (tests/api/conftest.py) on SQLite and on PostgreSQL."""
    return {"LUUTRU_DB__URL": request.getfixturevalue("postgres_url")} if request.param == "postgres" else {}


@pytest.fixture
def env(api) -> ApiEnv:
    return api


def _ok(r, status=200):
    assert r.status_code == status, r.text
    return r.json()


def _problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code and body["detail_vi"], body
    return body


def _patch(api, who, ref, body):
    return api.client.patch(f"/api/v1/fonds/{ref}", headers=api.auth(who), json=body)


def _entries(api, action: str) -> list[AuditEntry]:
    with api.services.catalogue.session() as s:
        rows = list(s.execute(sa.select(AuditEntry).where(AuditEntry.action == action)
                              .order_by(AuditEntry.id)).scalars())
        for r in rows:
            s.expunge(r)
        return rows


def _fonds(api) -> dict:
    return _ok(api.post("luutruvien", "/api/v1/fonds", json={
        "organ_id": ORGAN, "name": "Sở Nội vụ tỉnh Hà Nam", "place": "Phủ Lý"}), 201)


def test_edit_by_code_or_id_changes_the_fields_and_audits_old_and_new(env):
    f = _fonds(env)
    out = _ok(_patch(env, "luutruvien", ORGAN, {"name": "  Sở Nội vụ tỉnh Hà Nam (mới)  ",
                                                "superior_name": "Ủy ban nhân dân tỉnh Hà Nam",
                                                "description": "Thành lập năm 1997.\nSáp nhập năm 2025.",
                                                "reason": "Đổi tên theo quyết định 12/QĐ-UBND"}))
    assert (out["id"], out["organ_id"], out["name"], out["superior_name"], out["place"]) == \
        (f["id"], ORGAN, "Sở Nội vụ tỉnh Hà Nam (mới)", "Ủy ban nhân dân tỉnh Hà Nam", "Phủ Lý")
    assert out["description"] == "Thành lập năm 1997.\nSáp nhập năm 2025."
    assert _ok(env.get("canbo", f"/api/v1/fonds/{f['id']}"))["name"] == "Sở Nội vụ tỉnh Hà Nam (mới)"
    [entry] = _entries(env, "fonds.edit")
    assert entry.actor == "user:luutruvien" and entry.target_id == f["id"]
    assert entry.detail["changes"]["name"] == ["Sở Nội vụ tỉnh Hà Nam", "Sở Nội vụ tỉnh Hà Nam (mới)"]
    assert entry.detail["changes"]["superior_name"] == [None, "Ủy ban nhân dân tỉnh Hà Nam"]
    assert "place" not in entry.detail["changes"] and entry.detail["reason"] == "Đổi tên theo quyết định 12/QĐ-UBND"
    # null clears an optional field; by id (short id too)
    out = _ok(_patch(env, "qlvb", f["id"][:8], {"place": None}))
    assert out["place"] is None
    assert _entries(env, "fonds.edit")[-1].detail["changes"] == {"place": ["Phủ Lý", None]}
    assert [e.outcome for e in _entries(env, "api.fonds.edit")] == ["success", "success"]


def test_unknown_or_unseen_fonds_is_404_and_no_scope_is_403(env):
    _fonds(env)
    _problem(_patch(env, "luutruvien", OTHER, {"name": "X"}), 404, "record_not_found")
    _problem(_patch(env, "luutruvien", "nope", {"name": "X"}), 404, "record_not_found")
    _problem(_patch(env, "canbo", ORGAN, {"name": "X"}), 403, "forbidden")      # official: no deposit scope
    _problem(_patch(env, "cong-dvc", ORGAN, {"name": "X"}), 403, "forbidden")   # read/search client
    assert env.client.patch(f"/api/v1/fonds/{ORGAN}", json={"name": "X"}).status_code == 401
    assert _ok(env.get("canbo", f"/api/v1/fonds/{ORGAN}"))["name"] == "Sở Nội vụ tỉnh Hà Nam"
    assert [e.outcome for e in _entries(env, "api.fonds.edit")] == ["not_found", "not_found"]
    assert _entries(env, "fonds.edit") == []


@pytest.mark.parametrize("body,field", [
    ({"organ_id": OTHER}, "organ_id"),                      # the identity is never changed
    ({"name": ""}, "name"), ({"name": "   "}, "name"), ({"name": None}, "name"),
    ({"name": "A\x07B"}, "name"), ({"place": "x" * 101}, "place"), ({"superior_name": "x" * 201}, "superior_name"),
    ({"description": "x" * 2001}, "description"), ({"place": "Phủ\u202eLý"}, "place"),
    ({"reason": "lý do"}, None), ({}, None), ({"name": 7}, "name"),
])
def test_bad_fields_are_422_and_change_nothing(env, body, field):
    f = _fonds(env)
    r = _patch(env, "luutruvien", ORGAN, body)
    problem = _problem(r, 422, r.json().get("code"))
    assert problem["code"] in ("invalid_request", "invalid_dossier")
    if field and problem["code"] == "invalid_dossier":
        assert field in problem["detail"], problem
    after = _ok(env.get("luutruvien", f"/api/v1/fonds/{f['id']}"))
    assert {k: after[k] for k in f if k not in ("dossiers", "records")} == \
        {k: f[k] for k in f if k not in ("dossiers", "records")}
    assert _entries(env, "fonds.edit") == []


def test_the_same_values_change_nothing_and_write_no_change(env):
    _fonds(env)
    out = _ok(_patch(env, "luutruvien", ORGAN, {"name": "Sở Nội vụ tỉnh Hà Nam", "place": "Phủ Lý"}))
    assert out["name"] == "Sở Nội vụ tỉnh Hà Nam"
    assert _entries(env, "fonds.edit") == []


def test_a_caller_limited_to_another_fonds_cannot_edit(env):
    _fonds(env)
    other = _ok(env.post("quantri", "/api/v1/fonds", json={"organ_id": OTHER, "name": "Sở Tư pháp"}), 201)
    env.services.accounts.update_user("luutruvien", fonds_ids=[other["id"]], actor="test")
    _problem(_patch(env, "luutruvien", ORGAN, {"name": "X"}), 404, "record_not_found")  # as for a missing one
    assert _ok(_patch(env, "luutruvien", OTHER, {"place": "Phủ Lý"}))["place"] == "Phủ Lý"  # its own: yes
    assert _ok(env.get("quantri", f"/api/v1/fonds/{ORGAN}"))["name"] == "Sở Nội vụ tỉnh Hà Nam"


# the CLI's --set pairs -------------------------------------------------------------------------

FIELD = st.sampled_from(FONDS_EDITABLE + tuple(FONDS_ALIASES))
VALUE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(st.lists(st.tuples(FIELD, VALUE), max_size=6))
def test_parse_sets_takes_the_first_equals_and_refuses_repeats(pairs):
    items = [f"{k}={v}" for k, v in pairs]
    canonical = [FONDS_ALIASES.get(k, k) for k, _ in pairs]
    if len(set(canonical)) < len(canonical):
        with pytest.raises(ValueError, match="hai lần"):
            parse_sets(items, FONDS_EDITABLE, FONDS_ALIASES)
        return
    out = parse_sets(items, FONDS_EDITABLE, FONDS_ALIASES)
    assert out == {FONDS_ALIASES.get(k, k): (v.strip() or None) for k, v in pairs}


@given(st.text(max_size=30))
def test_parse_sets_refuses_anything_but_a_known_field(item):
    key, sep, _ = item.partition("=")
    name = key.strip().lower().replace("-", "_")
    try:
        out = parse_sets([item], FONDS_EDITABLE, FONDS_ALIASES)
    except ValueError as exc:
        assert str(exc)  # a Vietnamese sentence for the terminal
        assert not sep or FONDS_ALIASES.get(name, name) not in FONDS_EDITABLE
    else:
        assert sep and list(out) == [FONDS_ALIASES.get(name, name)]


def test_luutru_fonds_edit_in_a_real_process(tmp_path):
    env = {"LUUTRU_DATA_DIR": str(tmp_path / "data")}
    archivist = {**env, **account(env)}
    made = run_cli(archivist, "fonds", "create", ORGAN, "--name", "Sở Nội vụ", "--place", "Phủ Lý", "--json")
    assert made.returncode == 0, made.stderr
    r = run_cli(archivist, "fonds", "edit", ORGAN, "--set", "name=Sở Nội vụ tỉnh Hà Nam", "--set",
                "superior=Ủy ban nhân dân tỉnh Hà Nam", "--set", "place=", "--reason", "Sửa tên đầy đủ", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["changes"] == {"name": ["Sở Nội vụ", "Sở Nội vụ tỉnh Hà Nam"],
                              "superior_name": [None, "Ủy ban nhân dân tỉnh Hà Nam"], "place": ["Phủ Lý", None]}
    shown = json.loads(run_cli(archivist, "fonds", "show", ORGAN, "--json").stdout)
    assert (shown["name"], shown["superior_name"], shown["place"]) == \
        ("Sở Nội vụ tỉnh Hà Nam", "Ủy ban nhân dân tỉnh Hà Nam", None)
    log = run_cli(archivist, "audit", "list", "--json")
    if log.returncode == 0 and log.stdout.strip().startswith(("[", "{")):
        assert "fonds.edit" in log.stdout
    for bad, words in ((["--set", "organ_id=000.00.00.H40"], "Không sửa được trường"),
                       (["--set", "name"], "không có dạng"),
                       (["--set", "name=A", "--set", "ten=B"], "hai lần"),
                       (["--set", "name=  "], "Tên phông")):
        r = run_cli(archivist, "fonds", "edit", ORGAN, *bad)
        assert r.returncode != 0 and words in r.stderr + r.stdout, (bad, r.stdout, r.stderr)
    r = run_cli(archivist, "fonds", "edit", OTHER, "--set", "name=X")
    assert r.returncode != 0 and "phông" in (r.stderr + r.stdout).lower()
    official = {**env, **account(env, "canbo", role="official", full_name="Vũ Thị Hoa")}
    r = run_cli(official, "fonds", "edit", ORGAN, "--set", "name=X")
    assert r.returncode != 0, r.stdout
    assert json.loads(run_cli(archivist, "fonds", "show", ORGAN, "--json").stdout)["name"] == "Sở Nội vụ tỉnh Hà Nam"
