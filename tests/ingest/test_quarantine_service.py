"""The quarantine's service (``ingest.quarantine_service``) against a real archive: the ingest
pipeline, the catalogue on SQLite and PostgreSQL, the audit log, the folders on disk.

GIVEN files rejected by the real pipeline (an unknown dossier, an empty file), WHEN an archivist
releases or discards them, THEN the entry leaves only for a record (or with a permanent trace), a
file still bad stays with its new reason, and a crash or a second process never loses or doubles it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.quarantine import (
    REF,
    EntryBusy,
    EntryNotFound,
    Quarantine,
    QuarantineFilter,
    QuarantineInvalid,
    parse_ref,
)


@pytest.fixture(scope="module")
def html_files(tmp_path_factory) -> list[Path]:
    from kit.corpus import generate

    folder = tmp_path_factory.mktemp("corpus")
    truth = generate(folder, seed=15, count=3, formats=("html",))
    return [folder / t["file"] for t in truth]


@pytest.fixture
def env(data_dir, catalogue_url, monkeypatch):
    """The archive the environment selects (SQLite or PostgreSQL), its ingest and quarantine service."""
    from api.http.routes.records import _ingest_service
    from api.quarantine import quarantine_service
    from api.wiring import build_services, get_settings

    monkeypatch.setenv("LUUTRU_DB__URL", catalogue_url)
    get_settings.cache_clear()
    services = build_services(get_settings())
    try:
        yield services, _ingest_service(services), quarantine_service(services)
    finally:
        services.close()
        get_settings.cache_clear()


def _reject(ingest, path: Path, **kw):
    from ingest.pipeline import SourceFile

    outcome = ingest.run(SourceFile(path=path, submitter="user:canbo", **kw))
    assert outcome.outcome == "rejected", outcome
    return Path(outcome.quarantine).name


def _audit(services, action: str) -> list:
    from archive.catalogue.models import AuditEntry

    with services.catalogue.session() as s:
        return list(s.execute(sa.select(AuditEntry).where(AuditEntry.action == action)).scalars())


def _records_with(services, sha: str) -> int:
    from archive.catalogue.models import Component

    with services.catalogue.session() as s:
        return s.execute(sa.select(sa.func.count()).select_from(Component)
                         .where(Component.sha256 == sha, Component.role == "original")).scalar_one()


def test_release_after_correction_ingests_and_leaves_a_trace(env, html_files):
    services, ingest, svc = env
    entry_id = _reject(ingest, html_files[0], dossier_code="KHONG-CO", declared={"place": "Huế"})
    entry = svc.show(entry_id[:8])
    assert entry["code"] == "invalid_metadata" and entry["dossier_code"] == "KHONG-CO"
    assert entry["declared"] == {"place": "Huế"} and entry["submitter"] == "user:canbo"

    # WHEN released unchanged: rejected again, the entry stays with the reason and its history
    again = svc.release(entry_id, actor="user:luutruvien", declared={"access_level": "internal"})
    assert again["released"] is False and again["code"] == "invalid_metadata"
    kept = svc.show(entry_id)
    assert kept["state"] == "kept" and len(kept["history"]) == 1 and kept["declared"]["access_level"] == "internal"

    # WHEN released into no dossier: ingested, the entry gone, the trace and audit kept
    done = svc.release(entry_id, actor="user:luutruvien", dossier_code="")
    assert done["released"] is True and done["outcome"] == "ingested"
    with pytest.raises(EntryNotFound):
        svc.show(entry_id)
    assert svc.list() == []
    record = services.archive.get_record(done["record_id"], actor="test", audit_access=False)
    assert record["access_level"] == "internal" and record["place"] == "Huế"
    (trace,) = svc.history("released")
    assert trace["id"] == entry_id and trace["record_id"] == done["record_id"] and trace["actor"] == "user:luutruvien"
    outcomes = sorted(a.outcome for a in _audit(services, "quarantine.release"))
    assert outcomes == ["rejected", "success"]
    assert _records_with(services, done["sha256"]) == 1


def test_a_file_still_bad_stays_with_its_new_reason(env, tmp_path):
    services, ingest, svc = env
    empty = tmp_path / "rỗng.pdf"
    empty.write_bytes(b"")
    entry_id = _reject(ingest, empty)
    result = svc.release(entry_id, actor="user:luutruvien", declared={"subject": "Sửa lại"})
    assert result == {**result, "released": False, "outcome": "rejected", "code": "empty_file"}
    entry = svc.show(entry_id)
    assert entry["code"] == "empty_file" and entry["history"][0]["code"] == "empty_file"
    assert len(list(Quarantine(services.settings.quarantine_dir).folders())) == 1  # no second entry


def test_discard_needs_a_reason_and_leaves_a_permanent_trace(env, html_files):
    services, ingest, svc = env
    entry_id = _reject(ingest, html_files[1], dossier_code="KHONG-CO")
    for reason in (None, "", "   "):
        with pytest.raises(QuarantineInvalid):
            svc.discard(entry_id, actor="user:luutruvien", reason=reason)
    assert svc.show(entry_id)["state"] == "kept"
    trace = svc.discard(entry_id[:10], actor="user:luutruvien", reason="Bản nháp gửi nhầm")
    folder_gone = not any(entry_id in str(p) for p in services.settings.quarantine_dir.rglob("*") if "_log" not in str(p))
    assert folder_gone
    assert trace["sha256"] == hashlib.sha256(html_files[1].read_bytes()).hexdigest()
    (kept,) = svc.history("discarded")
    assert kept["reason"] == "Bản nháp gửi nhầm" and kept["actor"] == "user:luutruvien" and kept["name"]
    (audit,) = _audit(services, "quarantine.discard")
    assert audit.target_id == entry_id and audit.detail["reason"] == "Bản nháp gửi nhầm"
    assert audit.detail["sha256"] == trace["sha256"]
    with pytest.raises(EntryNotFound):
        svc.discard(entry_id, actor="user:luutruvien", reason="lần hai")


@pytest.mark.parametrize("ref", ["../../etc", "..", "/etc/passwd", "2026-12-06/abc", "%2e%2e%2fetc", "abc",
                                 "g" * 32, "a" * 33, "", " ", "0" * 6 + "/", "\x00" * 8])
def test_hostile_ids_name_nothing(tmp_path, ref):
    from ingest.quarantine_service import QuarantineService

    (tmp_path / "etc").mkdir()
    (tmp_path / "q").mkdir()
    svc = QuarantineService(Quarantine(tmp_path / "q"), None, lambda: None)
    with pytest.raises(QuarantineInvalid):
        svc.show(ref)
    with pytest.raises(QuarantineInvalid):
        svc.discard(ref, actor="user:x", reason="x")
    with pytest.raises(QuarantineInvalid):
        svc.release(ref, actor="user:x")
    assert (tmp_path / "etc").is_dir()


def test_unknown_and_ambiguous_ids(env, tmp_path):
    services, _ingest, svc = env
    with pytest.raises(EntryNotFound):
        svc.show("0" * 32)
    root = services.settings.quarantine_dir
    for suffix in ("1", "2"):  # two entries sharing a prefix
        (root / "2026-01-02" / ("abcdef" + "0" * 25 + suffix)).mkdir(parents=True)
        (root / "2026-01-02" / ("abcdef" + "0" * 25 + suffix) / "reason.json").write_text("{}")
    from ingest.quarantine import EntryAmbiguous

    with pytest.raises(EntryAmbiguous):
        svc.show("abcdef")
    assert svc.show("abcdef" + "0" * 25 + "1")["id"].endswith("1")


def test_an_entry_being_released_elsewhere_is_busy(env, html_files):
    services, ingest, svc = env
    entry_id = _reject(ingest, html_files[2], dossier_code="KHONG-CO")
    q = Quarantine(services.settings.quarantine_dir)
    with q.locked(q.find(entry_id)):
        with pytest.raises(EntryBusy):
            svc.release(entry_id, actor="user:luutruvien", dossier_code="")
        with pytest.raises(EntryBusy):
            svc.discard(entry_id, actor="user:luutruvien", reason="x")
    assert svc.show(entry_id)["state"] == "kept"


CRASH = """
import os, sys
from api.quarantine import quarantine_service
from api.wiring import build_services, get_settings
from ingest.quarantine import Quarantine
services = build_services(get_settings())
svc = quarantine_service(services)
where = sys.argv[2]
if where == "after_ingest":   # the record is committed, the entry not yet removed
    Quarantine.write_trace = lambda *a, **k: os._exit(9)
else:                         # the intent is written, the pipeline never ran
    svc._ingest = lambda: os._exit(9)
svc.release(sys.argv[1], actor="user:luutruvien", dossier_code="")
"""


@pytest.mark.parametrize("where", ["after_ingest", "before_ingest"])
def test_a_crash_mid_release_leaves_the_entry_or_the_record(env, html_files, where):
    """A real process dies (``os._exit``) in the middle of a release; the next list repairs."""
    services, ingest, svc = env
    entry_id = _reject(ingest, html_files[0], dossier_code="KHONG-CO")
    sha = svc.show(entry_id)["sha256"]
    proc = subprocess.run([sys.executable, "-c", CRASH, entry_id, where], env=os.environ.copy(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 9, proc.stderr[-2000:]
    folder = Quarantine(services.settings.quarantine_dir).find(entry_id)
    assert (folder / "release.json").exists()  # the intent the crash left
    entries = svc.list()  # repairs
    if where == "after_ingest":
        assert entries == [] and _records_with(services, sha) == 1
        (trace,) = svc.history("released")
        assert trace["repaired"] is True and trace["actor"] == "user:luutruvien"
    else:
        assert [e["id"] for e in entries] == [entry_id] and entries[0]["state"] == "kept"
        assert _records_with(services, sha) == 0


def test_a_crash_mid_discard_is_finished_by_the_next_run(env, html_files):
    services, ingest, svc = env
    entry_id = _reject(ingest, html_files[1], dossier_code="KHONG-CO")
    q = Quarantine(services.settings.quarantine_dir)
    folder = q.find(entry_id)
    # the state a crash right after the intent leaves (discard.json written, nothing else)
    (folder / "discard.json").write_text(json.dumps({"id": entry_id, "actor": "user:luutruvien", "reason": "Trùng",
                                                     "sha256": "x", "name": "a.html", "at": "2026-12-06T00:00:00"}))
    assert svc.list() == []
    assert svc.history("discarded")[0]["reason"] == "Trùng"
    assert _audit(services, "quarantine.discard")[0].detail["repaired"] is True


# what was declared ------------------------------------------------------------------------------

DECLARED = {"access_level": "Nội bộ", "issued_date": "15/03/2026", "page_amount": 3,
            "recipients": [{"organ_name": "Sở Nội vụ tỉnh Hà Nam"}], "subject": "Về việc kiểm kê tài liệu"}
TYPED = {"access_level": "internal", "issued_date": "2026-03-15", "page_amount": 3,
         "recipients": [{"organ_name": "Sở Nội vụ tỉnh Hà Nam"}], "subject": "Về việc kiểm kê tài liệu"}


def _released_record(services, svc, entry_id: str) -> dict:
    done = svc.release(entry_id, actor="user:luutruvien", dossier_code="")
    assert done["released"] is True and done["outcome"] == "ingested", done
    return services.archive.get_record(done["record_id"], actor="test", audit_access=False)


def _assert_declared_reached(record: dict) -> None:
    assert (record["access_level"], record["issued_date"], record["page_amount"], record["recipients"],
            record["subject"]) == ("internal", "2026-03-15", 3, TYPED["recipients"], TYPED["subject"])


def test_an_entry_keeps_the_declared_values_typed_and_a_release_gets_them(env, html_files):
    """GIVEN a file declared with values as people and importers give them (a Vietnamese access
    level, dd/mm/yyyy, a number, a list of recipients) and rejected WHEN it is released THEN the
    entry showed the typed values (not their ``str``) and the record holds exactly them."""
    services, ingest, svc = env
    entry_id = _reject(ingest, html_files[2], dossier_code="KHONG-CO", declared=DECLARED)
    folder = Quarantine(services.settings.quarantine_dir).find(entry_id)
    stored = json.loads((folder / "reason.json").read_text(encoding="utf-8"))
    assert stored["declared"] == TYPED and stored["declared_typed"] is True
    assert svc.show(entry_id)["declared"] == TYPED
    _assert_declared_reached(_released_record(services, svc, entry_id))


def test_an_entry_written_before_with_every_value_a_string_is_read_typed(env, html_files):
    """GIVEN an entry as versions before wrote it (``str(value)``: ``"3"``, the ``repr`` of the
    recipients, ``"Nội bộ"``) WHEN it is shown and released THEN the values are read back typed."""
    services, ingest, svc = env
    entry_id = _reject(ingest, html_files[2], dossier_code="KHONG-CO")
    folder = Quarantine(services.settings.quarantine_dir).find(entry_id)
    reason = json.loads((folder / "reason.json").read_text(encoding="utf-8"))
    reason.pop("declared_typed", None)
    reason["declared"] = {k: str(v) for k, v in {**DECLARED, "issued_date": date(2026, 3, 15)}.items()}
    (folder / "reason.json").write_text(json.dumps(reason, ensure_ascii=False), encoding="utf-8")
    assert svc.show(entry_id)["declared"] == TYPED
    _assert_declared_reached(_released_record(services, svc, entry_id))


def test_invalid_declared_values_are_kept_as_given(env, html_files):
    """A value that does not pass is why the file is here: kept as given (a JSON value), to correct."""
    _services, ingest, svc = env
    bad = {"issued_date": "31/02/2026", "page_amount": 3, "recipients": [{"organ_name": "Sở Nội vụ"}]}
    entry_id = _reject(ingest, html_files[2], declared=bad)
    entry = svc.show(entry_id)
    assert entry["code"] == "invalid_metadata" and entry["declared"] == bad


def test_the_submitter_is_shown_by_name_and_found_by_it(env, html_files, tmp_path):
    """GIVEN files rejected for a person, a connected system and an account the catalogue does not
    know WHEN the quarantine is listed THEN each shows the person's name (and title), the system's
    name and description, or the account; the submitter filter finds a person by a part of the name
    typed without diacritics."""
    services, ingest, svc = env
    services.accounts.create_user("lan.nguyen", full_name="Nguyễn Thị Lan", title="Chuyên viên lưu trữ",
                                  role="archivist", password="Mật-khẩu-thử-2026", actor="test")
    services.accounts.create_client("qlvb-so-noi-vu", scopes=["deposit"], access_levels=["public"],
                                    description="Quản lý văn bản Sở Nội vụ", actor="test")
    from ingest.pipeline import SourceFile

    ids = {}
    for who, n in (("user:lan.nguyen", 0), ("client:qlvb-so-noi-vu", 1), ("user:da.nghi", 2)):
        out = ingest.run(SourceFile(path=html_files[n], submitter=who, dossier_code="KHONG-CO"))
        ids[who] = Path(out.quarantine).name
    names = {e["submitter"]: e["submitter_name"] for e in svc.list()}
    assert names == {"user:lan.nguyen": "Nguyễn Thị Lan (Chuyên viên lưu trữ)",
                     "client:qlvb-so-noi-vu": "Hệ thống kết nối qlvb-so-noi-vu — Quản lý văn bản Sở Nội vụ",
                     "user:da.nghi": "user:da.nghi"}
    assert svc.show(ids["user:lan.nguyen"])["submitter_name"] == "Nguyễn Thị Lan (Chuyên viên lưu trữ)"
    found = svc.list(QuarantineFilter.parse(submitter="nguyen thi LAN"))
    assert [e["id"] for e in found] == [ids["user:lan.nguyen"]]
    assert [e["id"] for e in svc.list(QuarantineFilter.parse(submitter="Sở Nội vụ"))] == [ids["client:qlvb-so-noi-vu"]]


# parsing ----------------------------------------------------------------------------------------

@given(st.text(max_size=80))
def test_parse_ref_gives_hex_or_refuses(text):
    try:
        ref = parse_ref(text)
    except QuarantineInvalid as exc:
        assert exc.message_vi.startswith("Mã mục cách ly không hợp lệ")
        return
    assert REF.match(ref) and "/" not in ref and "." not in ref


@given(st.text(alphabet="0123456789abcdefABCDEF", min_size=6, max_size=32), st.sampled_from(["", " ", "\t"]))
def test_parse_ref_accepts_every_hex_prefix(ref, pad):
    assert parse_ref(pad + ref + pad) == ref.lower()


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(9999, 12, 31)))
def test_both_date_forms_name_the_same_day(day):
    vn = QuarantineFilter.parse(day=day.strftime("%d/%m/%Y"))
    iso = QuarantineFilter.parse(day=day.isoformat())
    assert vn == iso and vn.since == vn.until == day


@settings(max_examples=300)
@given(code=st.none() | st.text(max_size=50), day=st.none() | st.text(max_size=20),
       since=st.none() | st.text(max_size=20), until=st.none() | st.text(max_size=20),
       submitter=st.none() | st.text(max_size=300))
def test_filter_parsing_either_works_or_says_why(code, day, since, until, submitter):
    try:
        flt = QuarantineFilter.parse(code=code, day=day, since=since, until=until, submitter=submitter)
    except QuarantineInvalid as exc:
        assert exc.message_vi and exc.code == "invalid_request"
        return
    assert flt.since is None or flt.until is None or flt.since <= flt.until
    assert flt.submitter is None or 0 < len(flt.submitter) <= 200
    assert flt.matches({"code": flt.code, "submitter": flt.submitter, "at": None}) or flt.since or flt.until
