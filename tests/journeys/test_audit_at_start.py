"""``luutru serve`` anchors the audit log when it starts, and publishes the anchor outside the database.

Regression (issue 13, defect 10): the start-up repair ran inside the server's event loop and
anchoring failed with "asyncio.run() cannot be called from a running event loop" — the log went
unanchored until the hourly job. A real server on a fresh archive; ``luutru audit verify`` in
another process."""

from __future__ import annotations

import json

from served import run_cli, serve


def test_the_server_anchors_and_publishes_at_start(tmp_path):
    env = {"LUUTRU_DATA_DIR": str(tmp_path / "data"), "LUUTRU_TASKS__INLINE_INTERVAL_SECONDS": "0"}
    assert run_cli(env, "init").returncode == 0  # the init pass writes entries and anchors them
    made = run_cli(env, "users", "add", "quantri", "--name", "Nguyễn Văn Quản", "--role", "admin",
                   "--generate-password")
    assert made.returncode == 0, made.stderr + made.stdout
    before = json.loads(run_cli(env, "audit", "verify", "--json").stdout)
    with serve(env, tmp_path / "serve.log") as srv:
        pass
    log = srv.log.read_text(errors="replace")
    assert "anchoring the audit log failed" not in log, log[-3000:]
    after = json.loads(run_cli(env, "audit", "verify", "--json").stdout)
    assert after["ok"], after["problems"]
    assert after["anchors"] == before["anchors"] + 1  # the entries written since were anchored at start
    assert after["published"] == after["anchors"] and after["unpublished"] == []
    assert (tmp_path / "data" / "objects" / "named" / "audit" / "anchors" / f"{after['anchors']:08d}.json").is_file()
