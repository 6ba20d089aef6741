"""The fixity promises against real processes: ``luutru serve`` (uvicorn) in a subprocess on a free
loopback port and a real HTTP client (httpx), and ``luutru fixity run`` subprocesses — one run
against the serving archive, one stopped with Ctrl-C (SIGINT) and continued by the next."""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from api.wiring import build_services
from archive.catalogue.fixity_tables import FixityRun
from archive.domain import RecordMetadata
from archive.settings import load_settings

MiB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]


def blob(size: int, seed: int) -> bytes:
    block = b"".join(hashlib.sha256(f"{seed}:{i}".encode()).digest() for i in range(1024))
    return (block * (size // len(block) + 1))[:size]


def _env(data: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUUTRU_")}
    return {**env, "LUUTRU_DATA_DIR": str(data), "LUUTRU_TASKS__INLINE_INTERVAL_SECONDS": "0", **extra}


def _luutru(data: Path, *args: str, **extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], env=_env(data, **extra), cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def _archive(data: Path, sizes: list[int]) -> tuple[list[tuple[str, str, bytes]], str]:
    """Records of these sizes, as (record id, storage key, bytes), and a read token."""
    services = build_services(load_settings({"LUUTRU_DATA_DIR": str(data)}))
    try:
        out = []
        for i, size in enumerate(sizes):
            data_ = blob(size, 50 + i)
            rid = services.archive.create_record(io.BytesIO(data_), filename=f"tai-lieu-{i}.pdf", actor="user:lan",
                                                 metadata=RecordMetadata(subject=f"Văn bản {i}")).record_id
            key = services.archive.get_record(rid, actor="t", audit_access=False)["components"][0]["storage_key"]
            out.append((rid, key, data_))
        token = services.accounts.create_client("qlvb", scopes=["read"], access_levels=["public", "internal"],
                                                rate_limit=0, actor="test")["token"]
    finally:
        services.close()
    return out, token


def _flip(data: Path, key: str, offset: int) -> None:
    path = data / "objects" / key
    os.chmod(path, 0o644)
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x01
    path.write_bytes(bytes(raw))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(client: httpx.Client, url: str, **headers) -> tuple[int | None, bytes, Exception | None]:
    """(status, body received, the transport error that ended it, if any)."""
    status, body = None, bytearray()
    try:
        with client.stream("GET", url, headers=headers) as r:
            status = r.status_code
            for piece in r.iter_raw():
                body += piece
    except httpx.HTTPError as exc:
        return status, bytes(body), exc
    return status, bytes(body), None


def test_a_real_server_never_answers_a_corrupt_original_with_success(tmp_path):
    """GIVEN ``luutru serve`` with a 2 MiB pre-hash limit, a 300 kB and a 6 MiB original, each with a
    byte flipped on disk WHEN a real client downloads them, whole and by ranges THEN the small one is
    a 500 ``fixity_failed`` whole and by range; the large one's transfer breaks off before the bad
    block (the client gets an error and fewer bytes than announced, all of them right); a range of
    intact blocks is a correct 206. ``luutru fixity run`` (another process) reports both."""
    data = tmp_path / "data"
    ((small_id, small_key, _), (big_id, big_key, big)), token = _archive(data, [300_000, 6 * MiB])
    port = _free_port()
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=_env(data, LUUTRU_FIXITY__PREHASH_LIMIT=str(2 * MiB)), cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited ({proc.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
            try:
                httpx.get(base + "/api/v1/health", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{log.read_text(errors='replace')[-3000:]}")
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            assert _get(client, f"/api/v1/records/{big_id}/content")[1] == big  # right before the damage
            _flip(data, small_key, 150_000)
            _flip(data, big_key, 4 * MiB + 3)
            for headers in ({}, {"Range": "bytes=0-999"}, {"Range": "bytes=150000-150001"}):
                r = client.get(f"/api/v1/records/{small_id}/content", headers=headers)
                assert r.status_code == 500, (headers, r.status_code)
                assert r.headers["content-type"].startswith("application/problem+json")
                assert r.json()["code"] == "fixity_failed"

            status, body, error = _get(client, f"/api/v1/records/{big_id}/content")
            assert status == 200 and error is not None, "the transfer must break off, not complete"
            assert len(body) < len(big) and body == big[:len(body)]
            status, body, error = _get(client, f"/api/v1/records/{big_id}/content", Range=f"bytes={MiB}-")
            assert status == 206 and error is not None
            assert body == big[MiB:MiB + len(body)] and len(body) < len(big) - MiB
            status, body, error = _get(client, f"/api/v1/records/{big_id}/content", Range=f"bytes=10-{3 * MiB}")
            assert (status, error) == (206, None) and body == big[10:3 * MiB + 1]
            meta = client.get(f"/api/v1/records/{big_id}").json()
            assert meta["status"] == "damaged"

            run = _luutru(data, "fixity", "run", "--json")
            assert run.returncode == 1, run.stderr
            found = {f["record_id"] for f in json.loads(run.stdout)["failures"]}
            assert found == {small_id, big_id}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_a_run_stopped_with_ctrl_c_is_continued_by_the_next(tmp_path):
    """GIVEN twelve 1 MB objects WHEN ``luutru fixity run --budget-mb-s 2`` (about six seconds) is
    interrupted (SIGINT) a second and a half into its run THEN it exits 130 having recorded what it
    checked, and the next ``luutru fixity run`` resumes it and checks exactly the rest. (At 4 MB/s the
    run once ended before the signal on a loaded machine, where this process saw it start late.)"""
    data = tmp_path / "data"
    _archive(data, [1_000_000] * 12)
    time.sleep(0.05)
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "fixity", "run", "--budget-mb-s", "2", "--json"],
                            env=_env(data), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    services = build_services(load_settings({"LUUTRU_DATA_DIR": str(data)}))
    try:
        deadline = time.monotonic() + 60
        while True:
            with services.catalogue.session() as s:
                if s.execute(sa.select(FixityRun.id).where(FixityRun.state == "running")).first():
                    break
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        time.sleep(1.5)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 130, stderr
        assert "chạy lại" in stderr
        with services.catalogue.session() as s:
            first = s.execute(sa.select(FixityRun)).scalars().one()
            assert first.state == "interrupted" and 0 < first.objects < 12
            done, first_id = first.objects, first.id
    finally:
        services.close()
    second = _luutru(data, "fixity", "run", "--json")
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    assert report["resumed_from"] == first_id and report["objects"] == 12 - done and report["complete"]
