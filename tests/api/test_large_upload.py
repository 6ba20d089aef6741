"""A 1 GiB upload through a real server: ``luutru serve`` (uvicorn) in a subprocess on a free
loopback port, a streaming client that generates the file as it sends it (the test never holds it
either), and the server's peak resident memory read from ``/proc/<pid>/status`` (``VmHWM``).

The file is an uncompressed 32768 × 32768 grey-scale TIFF — a scanned map, a format the archive
accepts — so the whole pipeline runs on it: spooling, SHA-256, identification, extraction (Tika,
in the extraction worker process), storage and indexing. Also: the same bytes again as a
multipart form (duplicate by checksum), the spool folder left empty, and a declared
``Content-Length`` over the limit refused with 413 before any of the body is sent.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.wiring import build_services
from archive.settings import load_settings

pytestmark = pytest.mark.slow

MiB, GiB = 1024**2, 1024**3
UPLOAD_LIMIT = GiB + 64 * MiB
"""``extract.max_file_size`` of the server: the test file fits, with room for a form's overhead."""
MEMORY_BOUND = 300 * MiB
"""How far the server's peak RSS may rise above its peak after a small warm-up upload."""
ROOT = Path(__file__).resolve().parents[2]


# the file ----------------------------------------------------------------------------------------
class ScannedMap:
    """An uncompressed 8-bit grey TIFF of ``side`` × ``side`` pixels in strips of 256 rows, produced
    in 1 MiB pieces; counts and hashes what it produced, so the test can compare with the server."""

    ROWS_PER_STRIP = 256

    def __init__(self, side: int = 32768):
        assert side >= 256 and side & (side - 1) == 0  # a power of two
        self.side = side
        strips = side // self.ROWS_PER_STRIP
        entries = 9
        ifd_at = 8
        offsets_at = ifd_at + 2 + entries * 12 + 4
        counts_at = offsets_at + 4 * strips
        data_at = counts_at + 4 * strips
        strip_bytes = side * self.ROWS_PER_STRIP

        def entry(tag: int, kind: int, count: int, value: int) -> bytes:
            return struct.pack("<HHII", tag, kind, count, value)

        head = b"II*\x00" + struct.pack("<IH", ifd_at, entries)
        head += (entry(256, 4, 1, side) + entry(257, 4, 1, side) + entry(258, 3, 1, 8) + entry(259, 3, 1, 1)
                 + entry(262, 3, 1, 1) + entry(273, 4, strips, offsets_at) + entry(277, 3, 1, 1)
                 + entry(278, 4, 1, self.ROWS_PER_STRIP) + entry(279, 4, strips, counts_at))
        head += struct.pack("<I", 0)  # no further IFD
        head += b"".join(struct.pack("<I", data_at + i * strip_bytes) for i in range(strips))
        head += struct.pack("<I", strip_bytes) * strips
        assert len(head) == data_at
        self.head = head
        self.row = bytes(range(256)) * (side // 256)  # a horizontal grey ramp
        self.size = len(head) + side * side
        self.sha256: str | None = None
        self.sent = 0

    def pieces(self) -> Iterator[bytes]:
        digest = hashlib.sha256()
        self.sent = 0
        rows = max(1, min(self.side, MiB // self.side))  # rows per piece: about 1 MiB
        block = self.row * rows
        for chunk in itertools.chain([self.head], itertools.repeat(block, self.side // rows)):
            digest.update(chunk)
            self.sent += len(chunk)
            yield chunk
        self.sha256 = digest.hexdigest()

    def tail(self, n: int) -> bytes:
        """The file's last ``n`` bytes (n ≤ one row)."""
        return self.row[-n:]


class Reader:
    """A file-like view of a piece generator (httpx reads form parts with ``read``)."""

    def __init__(self, pieces: Iterator[bytes]):
        self.pieces, self.buffer = pieces, b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self.buffer) < size:
            piece = next(self.pieces, None)
            if piece is None:
                break
            self.buffer += piece
        if size < 0:
            out, self.buffer = self.buffer, b""
        else:
            out, self.buffer = self.buffer[:size], self.buffer[size:]
        return out


# the server --------------------------------------------------------------------------------------
def _status(pid: int, key: str) -> int:
    """A ``/proc/<pid>/status`` memory figure in bytes (VmRSS, VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


@dataclass
class Server:
    base: str
    port: int
    proc: subprocess.Popen
    token: str
    data: Path
    tmp: Path
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def spooled(self) -> list[Path]:
        folder = self.data / "uploads"
        return sorted(folder.glob("upload-*")) if folder.is_dir() else []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """``luutru serve`` on the embedded default with a deposit client (no rate limit)."""
    root = tmp_path_factory.mktemp("large-upload")
    data, tmp, log = root / "data", root / "tmp", root / "server.log"
    tmp.mkdir()
    env = {"LUUTRU_DATA_DIR": str(data), "LUUTRU_EXTRACT__MAX_FILE_SIZE": str(UPLOAD_LIMIT)}
    services = build_services(load_settings(env))
    try:
        token = services.accounts.create_client("qlvb-ban-do", scopes=["deposit", "read"],
                                                access_levels=["public", "internal"], rate_limit=0,
                                                actor="test")["token"]
    finally:
        services.close()
    port = _free_port()
    # TMPDIR of its own: every temporary file the server makes can be accounted for afterwards.
    child_env = {**{k: v for k, v in os.environ.items() if not k.startswith("LUUTRU_")}, **env, "TMPDIR": str(tmp)}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=child_env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    srv = Server(f"http://127.0.0.1:{port}", port, proc, token, data, tmp, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited ({proc.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
            try:
                httpx.get(srv.base + "/api/v1/health", headers=srv.auth, timeout=2)
                break  # uvicorn answers once the lifespan (services, start-up repair) is done
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)  # a gigabyte or two: not left for pytest's tmp retention


class Watch(threading.Thread):
    """Samples the spool folder while a request runs: the largest spool file seen."""

    def __init__(self, srv: Server):
        super().__init__(daemon=True)
        self.srv, self.largest, self.done = srv, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            for path in self.srv.spooled():
                try:
                    self.largest = max(self.largest, path.stat().st_size)
                except FileNotFoundError:
                    pass

    def __enter__(self) -> Watch:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.join()


# the tests ---------------------------------------------------------------------------------------
def test_1_gib_upload_streams_through_a_bounded_server(server):
    """GIVEN a running server, warmed up by a small upload (the ingest pipeline, its extraction
    worker and the search index loaded)
    WHEN a client streams a 1 GiB scanned map as a raw body (with its Content-Length), and then the
    same bytes again as a multipart form (chunked)
    THEN the first is archived (201) with the SHA-256 the client computed while sending and can be
    read back (HEAD, the last bytes by Range), the second is recognised as the same record (200,
    duplicate), the body went to a spool file on disk, the server's peak RSS rose by less than
    300 MB, and neither the spool folder nor the server's temporary folder keeps anything."""
    with httpx.Client(base_url=server.base, headers=server.auth, timeout=httpx.Timeout(600, connect=10)) as client:
        small = ScannedMap(side=256)
        r = client.post("/api/v1/records", params={"filename": "ảnh nhỏ.tif"}, content=b"".join(small.pieces()),
                        headers={"Content-Type": "image/tiff"})
        assert r.status_code == 201, r.text
        baseline = _status(server.pid, "VmHWM")

        big = ScannedMap()
        assert GiB < big.size < GiB + MiB
        name = "Bản đồ địa chính xã Hưng Lộc 1960.tif"
        with Watch(server) as watch:
            r = client.post("/api/v1/records", params={"filename": name}, content=big.pieces(),
                            headers={"Content-Type": "image/tiff", "Content-Length": str(big.size)})
        peak = _status(server.pid, "VmHWM")
        print(f"raw: {big.size / MiB:.0f} MiB, warm peak {baseline / MiB:.0f} MiB, peak {peak / MiB:.0f} MiB, "
              f"largest spool file {watch.largest / MiB:.0f} MiB")
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["outcome"] == "ingested"
        assert big.sent == big.size and body["sha256"] == big.sha256
        assert watch.largest > GiB // 2, "the body should arrive in a spool file on disk"
        assert server.spooled() == []
        assert peak - baseline < MEMORY_BOUND, (
            f"server peak RSS {peak / MiB:.0f} MiB, {(peak - baseline) / MiB:.0f} MiB above the warm baseline")

        record_id = body["record_id"]
        meta = client.get(f"/api/v1/records/{record_id}").json()
        assert meta["original_filename"] == name
        original = next(c for c in meta["components"] if c["role"] == "original")
        assert (original["size"], original["sha256"], original["media_type"]) == (big.size, big.sha256, "image/tiff")
        head = client.head(f"/api/v1/records/{record_id}/content")
        assert head.status_code == 200
        assert int(head.headers["content-length"]) == big.size
        assert head.headers["etag"] == f'"sha256-{big.sha256}"'
        tail = client.get(f"/api/v1/records/{record_id}/content", headers={"Range": "bytes=-4096"})
        assert tail.status_code == 206
        assert tail.headers["content-range"] == f"bytes {big.size - 4096}-{big.size - 1}/{big.size}"
        assert tail.content == big.tail(4096)

        again = ScannedMap()
        with Watch(server) as watch:
            r = client.post("/api/v1/records",
                            files={"file": ("bản đồ (bản sao).tif", Reader(again.pieces()), "image/tiff")},
                            data={"subject": "Bản đồ địa chính xã Hưng Lộc năm 1960"})
        peak = _status(server.pid, "VmHWM")
        print(f"multipart: peak {peak / MiB:.0f} MiB, largest spool file {watch.largest / MiB:.0f} MiB")
        assert r.status_code == 200, r.text
        assert r.json() == {"outcome": "duplicate", "record_id": record_id,
                                                       "sha256": big.sha256, "code": None, "message_vi": None,
                                                       "message_en": None, "job_id": None}  # no worker job: embedded
        assert again.sha256 == big.sha256
        assert watch.largest > GiB // 2
        assert peak - baseline < MEMORY_BOUND, (
            f"server peak RSS {peak / MiB:.0f} MiB, {(peak - baseline) / MiB:.0f} MiB above the warm baseline")

    assert server.spooled() == []
    assert sorted(p.name for p in server.tmp.iterdir()) == []


def test_declared_length_over_the_limit_is_refused_before_the_body(server):
    """GIVEN a server whose upload limit is UPLOAD_LIMIT
    WHEN a client declares a Content-Length one byte over it and sends no body at all
    THEN it answers at once with 413 (problem+json, both languages) and closes the connection,
    without waiting for the body and without creating a spool file."""
    before = server.spooled()
    request = (f"POST /api/v1/records?filename=qua-lon.tif HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
               f"Authorization: Bearer {server.token}\r\nContent-Type: image/tiff\r\n"
               f"Content-Length: {UPLOAD_LIMIT + 1}\r\n\r\n").encode()
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):  # until the server closes: it does not wait for the body
            received += chunk
    assert time.monotonic() - started < 10
    head, _, payload = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1.1 413"), lines[0]
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    assert headers["content-type"].startswith("application/problem+json")
    assert headers["connection"] == "close"
    problem = json.loads(payload[: int(headers["content-length"])])
    assert problem["status"] == 413 and problem["code"] == "too_large"
    assert str(UPLOAD_LIMIT) in problem["detail"] and problem["detail_vi"]
    assert server.spooled() == before
