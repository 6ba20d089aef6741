"""The one upload spool (``api/http/uploads.py``): its limit, a full disk, SHA-256 while spooling, and no
temporary file left behind on any path — including a real client that hangs up mid-upload on a
real server (uvicorn on a socket)."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.http.problems import ApiProblem
from api.http.uploads import SpooledUpload, spool_upload


def _services(data: Path) -> SimpleNamespace:
    return SimpleNamespace(settings=SimpleNamespace(data_dir=data))


async def _chunks(parts):
    for p in parts:
        yield p


def _spool(data: Path, parts: list[bytes], limit: int, *, fail: Exception | None = None):
    async def run():
        async with spool_upload(_services(data), limit=limit) as up:
            await up.receive(_chunks(parts))
            assert up.path.read_bytes() == b"".join(parts)  # on disk while the block runs
            if fail is not None:
                raise fail
            return up.size, up.sha256

    return asyncio.run(run())


def _left(data: Path) -> list[str]:
    return sorted(p.name for p in (data / "uploads").iterdir())


@settings(max_examples=60, deadline=None)
@given(parts=st.lists(st.binary(max_size=40), max_size=8), limit=st.integers(min_value=1, max_value=200))
def test_within_the_limit_it_keeps_the_bytes_and_their_digest_then_removes_them(tmp_path_factory, parts, limit):
    """GIVEN any chunks and a limit WHEN spooled THEN within the limit size and SHA-256 are those of
    the bytes; past it a 413 too_large; and in both cases no file is left once the block ends."""
    data = tmp_path_factory.mktemp("d")
    body = b"".join(parts)
    if len(body) <= limit:
        assert _spool(data, parts, limit) == (len(body), hashlib.sha256(body).hexdigest())
    else:
        with pytest.raises(ApiProblem) as exc:
            _spool(data, parts, limit)
        assert (exc.value.status, exc.value.code) == (413, "too_large")
        assert "LUUTRU_EXTRACT__MAX_FILE_SIZE" in exc.value.detail and "vượt quá" in exc.value.detail_vi
    assert _left(data) == []


def test_a_failure_of_the_work_removes_the_file(tmp_path):
    with pytest.raises(RuntimeError):
        _spool(tmp_path, [b"abc"], 10, fail=RuntimeError("ingest crashed"))
    assert _left(tmp_path) == []


def test_a_full_disk_is_a_clear_507(tmp_path):
    """GIVEN a spool whose device is full (/dev/full answers ENOSPC to every write) WHEN a file is
    received THEN a 507 problem says the server has no room, in Vietnamese too."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    up = SpooledUpload(Path("/dev/full"), limit=10**9, what=("the file", "Tệp"), setting="X")
    with pytest.raises(ApiProblem) as exc:
        asyncio.run(up.receive(_chunks([b"x" * 1024 * 1024])))
    assert (exc.value.status, exc.value.code) == (507, "insufficient_storage")
    assert "hết dung lượng" in exc.value.detail_vi


@pytest.fixture
def api_settings():
    return {"LUUTRU_EDXML__MAX_MESSAGE_SIZE": "4096"}


def test_an_edxml_message_over_its_limit_is_413_and_leaves_nothing(api):
    """GIVEN edxml.max_message_size = 4 KiB WHEN a larger message is posted (raw and as a form) THEN
    413 problem+json naming the setting, and the spool folder is empty."""
    body = b"<edXML>" + b"x" * 10_000 + b"</edXML>"
    for kw in ({"content": body, "headers": {"Content-Type": "application/xml"}},
               {"files": {"file": ("m.edxml", body, "application/xml")}}):
        r = api.post("quantri", "/api/v1/imports/edxml", **kw)
        assert r.status_code == 413, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "too_large" and "LUUTRU_EDXML__MAX_MESSAGE_SIZE" in r.json()["detail"]
    assert _left(api.services.settings.data_dir) == []


def test_an_edxml_message_over_the_json_limit_reaches_its_own_limit(api):
    """GIVEN an edXML message of 2 MiB (over the API's 1 MiB body limit for JSON) WHEN posted THEN
    its own limit decides (4 KiB in this module: 413 naming LUUTRU_EDXML__MAX_MESSAGE_SIZE), not
    the general body limit: on main a message over 1 MiB was refused whatever its own limit (150 MiB
    by default)."""
    body = b"<edXML>" + b"x" * (2 * 1024 * 1024) + b"</edXML>"
    r = api.post("quantri", "/api/v1/imports/edxml", content=body, headers={"Content-Type": "application/xml"})
    assert r.status_code == 413, r.text
    assert "LUUTRU_EDXML__MAX_MESSAGE_SIZE" in r.json()["detail"], r.json()
    assert _left(api.services.settings.data_dir) == []


@pytest.fixture
def server(api):
    """The ``api`` app served by uvicorn on a real loopback socket (the lifespan already ran)."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(api.client.app, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield port
    srv.should_exit = True
    thread.join(10)
    sock.close()


@pytest.mark.parametrize(("path", "ctype", "who"), [
    ("/api/v1/records?filename=a.pdf", "application/pdf", "quantri"),
    ("/api/v1/imports/packages", "application/zip", "quantri"),
])
def test_a_client_that_hangs_up_mid_upload_leaves_no_temporary_file(api, server, path, ctype, who):
    """GIVEN a real server WHEN a client announces 8 MiB, sends 2 MiB (the spool file exists) and
    closes its socket THEN the spool file is removed and nothing was ingested. (edXML is not here:
    its path has the API's general body limit, 1 MiB, so 8 MiB announced is refused before a byte.)"""
    uploads = api.services.settings.data_dir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    conn = socket.create_connection(("127.0.0.1", server))
    conn.sendall((f"POST {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {api.tokens[who]}\r\n"
                  f"Content-Type: {ctype}\r\nContent-Length: {8 * 1024 * 1024}\r\n\r\n").encode())
    chunk = b"%PDF-1.7\n" + b"0" * (256 * 1024)
    for _ in range(8):
        conn.sendall(chunk)
    deadline = time.monotonic() + 20
    while not _left(api.services.settings.data_dir):  # the spool file is being written
        assert time.monotonic() < deadline, "the upload never reached the spool"
        time.sleep(0.05)
    conn.close()
    deadline = time.monotonic() + 20
    while _left(api.services.settings.data_dir):
        assert time.monotonic() < deadline, f"left behind: {_left(api.services.settings.data_dir)}"
        time.sleep(0.05)
    assert api.services.archive.catalogue is not None
    with api.services.catalogue.session() as s:
        import sqlalchemy as sa

        from archive.catalogue.models import Record

        assert s.execute(sa.select(sa.func.count()).select_from(Record)).scalar() == 0


@pytest.mark.parametrize(("path", "who"), [("/api/v1/records", "quantri"), ("/api/v1/imports/edxml", "quantri")])
def test_a_form_without_its_file_part_is_a_clear_422_and_leaves_nothing(api, path, who):
    """GIVEN a multipart form with fields but no ``file`` part WHEN posted to either upload route
    THEN 422 invalid_request in both languages (one check, ``api.http.uploads.receive_form_file``),
    nothing spooled and nothing archived."""
    before = api.services.archive.counts()["records"]
    r = api.post(who, path, files={"document": ("a.pdf", b"%PDF-1.4\n", "application/pdf")},
                 data={"subject": "Không có trường file"})
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["code"] == "invalid_request" and "file" in problem["detail"] and "Thiếu tệp" in problem["detail_vi"]
    assert _left(api.services.settings.data_dir) == []
    assert api.services.archive.counts()["records"] == before
