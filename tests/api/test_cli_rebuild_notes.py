"""``luutru rebuild --from-storage`` says what it cannot bring back (issue: the rebuild restored the
holdings but kept quiet about the rest). Real ``luutru`` processes on a fresh archive: an account
and an API client exist, the catalogue is deleted, the rebuild runs on an
empty one; what it printed as not in storage is indeed gone, and the operator is told where it must
come from (the database backup): accounts, clients, the audit log, legal holds, registers."""

from __future__ import annotations

import json

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
    for key in ("users", "api_clients", "webhooks", "audit_log", "retention_holds", "registers"):
        assert key in missing

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
    for words in ("tài khoản người dùng", "hệ thống kết nối", "nhật ký hệ thống", "lệnh phong tỏa",
                  "sổ đăng ký", "danh mục tài liệu đã hủy"):
        assert words in text, words
