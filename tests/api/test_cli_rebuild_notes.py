"""``luutru rebuild --from-storage`` says what it cannot bring back (issue: the rebuild restored the
holdings but kept quiet about the rest). Real ``luutru`` processes on a fresh archive: an account
and an API client exist, the catalogue is deleted, the rebuild runs on an
empty one; what it printed as not in storage is indeed gone, and the operator is told where it must
come from (the database backup): accounts, clients, the audit log, registers. Legal holds are not
in that list: they have sidecars of their own (tests/journeys/test_rebuild_from_storage.py)."""

from __future__ import annotations

import json

import pytest
from served import account, run_cli


def _lose_the_catalogue(data) -> None:
    for suffix in ("", "-wal", "-shm"):
        (data / f"catalogue.db{suffix}").unlink(missing_ok=True)


def test_rebuild_names_what_must_come_from_the_backup(tmp_path):
    data = tmp_path / "data"
    env = {"LUUTRU_DATA_DIR": str(data)}
    assert run_cli(env, "init").returncode == 0
    admin = account(env, "quantri", role="admin", full_name="Trần Văn Quản")
    r = run_cli(admin, "clients", "add", "qlvb", "--scope", "deposit")
    assert r.returncode == 0, r.stderr
    _lose_the_catalogue(data)  # the database is lost; the object store remains

    r = run_cli(env, "rebuild", "--from-storage", "--json")
    assert r.returncode == 0, r.stderr
    missing = json.loads(r.stdout)["not_in_storage"]
    for key in ("users", "api_clients", "webhooks", "audit_log", "registers"):
        assert key in missing
    assert "retention_holds" not in missing

    from api.wiring import build_services
    from archive.settings import load_settings

    services = build_services(load_settings(env))
    try:  # what the list says is gone is gone
        assert services.accounts.list_users() == [] and services.accounts.list_clients() == []
    finally:
        services.close()

    _lose_the_catalogue(data)
    r = run_cli(env, "rebuild", "--from-storage")
    assert r.returncode == 0, r.stderr
    text = " ".join(r.stdout.split())
    assert "Không nằm trong kho tệp" in text and "bản sao lưu" in text
    for words in ("tài khoản người dùng", "hệ thống kết nối", "nhật ký hệ thống", "0 lệnh phong tỏa",
                  "sổ đăng ký", "danh mục tài liệu đã hủy"):
        assert words in text, words


def test_a_rebuild_only_builds_on_an_empty_catalogue(tmp_path, monkeypatch):
    """An account added before the rebuild (its audit entry used to stop the log's restore, which the
    rebuild then reported as "nothing restored" and went on), or a rebuild interrupted after the log
    was restored: the next ``luutru rebuild`` refuses, names what the catalogue holds and says what to
    do; the store is untouched and the rebuild on an empty database then restores everything."""
    from api.wiring import build_services
    from archive import sidecars
    from archive.settings import load_settings

    data = tmp_path / "data"
    env = {"LUUTRU_DATA_DIR": str(data)}
    assert run_cli(env, "init").returncode == 0
    account(env, "quantri", role="admin", full_name="Trần Văn Quản")
    services = build_services(load_settings(env))
    try:
        services.archive.anchor_audit()  # the account's entries are anchored and published
    finally:
        services.close()
    _lose_the_catalogue(data)

    account(env, "quantri", role="admin", full_name="Trần Văn Quản")  # too early: before the rebuild
    r = run_cli(env, "rebuild", "--from-storage")
    assert r.returncode == 1
    said = " ".join(r.stderr.split())
    assert "Danh mục không trống" in said and "audit_log" in said and "users: 1" in said
    assert "thêm tài khoản sau khi dựng xong" in said

    _lose_the_catalogue(data)
    services = build_services(load_settings(env))
    try:  # interrupted after the log was restored, before the first record
        def crash(store):
            raise OSError("the machine stopped")
        monkeypatch.setattr(sidecars, "_latest_holds", crash)
        with pytest.raises(OSError):
            sidecars.rebuild(services.catalogue, services.store)
        monkeypatch.undo()
        with pytest.raises(sidecars.RebuildError, match="audit_log"):
            sidecars.rebuild(services.catalogue, services.store)
    finally:
        services.close()

    _lose_the_catalogue(data)
    r = run_cli(env, "rebuild", "--from-storage", "--json")
    assert r.returncode == 0, r.stderr
    done = json.loads(r.stdout)
    assert done["audit_log"] >= 1 and done["audit_anchors"] == 1 and done["audit_not_restored"] == []
