"""S3 fixtures: every S3 test runs on two implementations.

* ``moto`` — moto's S3 server, started in-process (a thread on 127.0.0.1, a free port): needs no
  service, so it always runs.
* ``server`` — a real S3 server with object lock, where ``LUUTRU_TEST_S3_ENDPOINT`` (``host:port``,
  plain HTTP) and ``LUUTRU_TEST_S3_ACCESS_KEY`` / ``LUUTRU_TEST_S3_SECRET_KEY`` point at one:
  ``tests/servers/start`` runs versitygw on loopback and prints them. Required under ``CI=true``;
  skipped elsewhere when unset.
"""

from __future__ import annotations

import io
import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import pytest
from minio import Minio
from services import service_unavailable

from archive.objects.s3 import SHA256_META, S3ObjectStore

REGION = "us-east-1"
TEST_PART_SIZE = 5 * 1024 * 1024  # S3's minimum, so a 12 MiB stream takes three parts


@dataclass(frozen=True)
class S3Server:
    """Where an S3 implementation answers, and how to sign in to it."""

    name: str  # "moto" or the real server's name (LUUTRU_TEST_S3_SERVER)
    endpoint: str  # host:port, plain HTTP
    access_key: str
    secret_key: str

    @property
    def real(self) -> bool:
        return self.name != "moto"

    def url(self) -> str:
        return f"http://{self.endpoint}"


def configured_s3_server() -> S3Server | None:
    """The real S3 server of the environment (tests/servers/start), or None."""
    endpoint = os.environ.get("LUUTRU_TEST_S3_ENDPOINT")
    if not endpoint:
        return None
    return S3Server(os.environ.get("LUUTRU_TEST_S3_SERVER", "s3-server"), endpoint,
                    os.environ.get("LUUTRU_TEST_S3_ACCESS_KEY", ""), os.environ.get("LUUTRU_TEST_S3_SECRET_KEY", ""))


@pytest.fixture(scope="session")
def moto_s3_server() -> Iterator[S3Server]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Server("moto", f"{host}:{port}", "luutru-test", "luutru-test-secret")
    finally:
        server.stop()


@pytest.fixture(scope="session")
def real_s3_server() -> S3Server:
    """The real S3 server (tests/servers/start); fails under CI, skips elsewhere when there is none."""
    server = configured_s3_server()
    if server is None:
        service_unavailable("the S3 server", "LUUTRU_TEST_S3_ENDPOINT is not set (tests/servers/start)")
    try:
        raw_client(server).list_buckets()
    except Exception as exc:  # noqa: BLE001
        service_unavailable(f"the S3 server at {server.endpoint}", exc)
    return server


S3_SERVERS = ["moto", pytest.param("server", marks=pytest.mark.s3_server)]


@pytest.fixture(scope="session", params=S3_SERVERS)
def s3_server(request) -> S3Server:
    """Each S3 implementation in turn: moto in-process, then the real server."""
    return request.getfixturevalue("moto_s3_server" if request.param == "moto" else "real_s3_server")


def raw_client(server: S3Server) -> Minio:
    return Minio(server.endpoint, access_key=server.access_key, secret_key=server.secret_key, secure=False,
                 region=REGION)


@pytest.fixture
def s3_raw_client(s3_server) -> Minio:
    """A plain minio client, as another party with write access to the bucket would use."""
    return raw_client(s3_server)


def make_s3_store(server: S3Server, bucket: str | None = None, **kwargs) -> S3ObjectStore:
    options = dict(secure=False, region=REGION, object_lock=True, retention_mode="COMPLIANCE",
                   part_size=TEST_PART_SIZE)
    options.update(kwargs)
    return S3ObjectStore(server.endpoint, server.access_key, server.secret_key,
                         bucket or f"luutru-{uuid.uuid4().hex[:20]}", **options)


def boto_client(server: S3Server):
    """boto3's S3 client: a second, independent client to check what the store did."""
    import boto3

    return boto3.client("s3", endpoint_url=server.url(), aws_access_key_id=server.access_key,
                        aws_secret_access_key=server.secret_key, region_name=REGION)


@dataclass(frozen=True)
class Listed:
    object_name: str
    version_id: str
    is_delete_marker: bool
    last_modified: datetime


def all_versions(boto, bucket: str, prefix: str = "") -> list[Listed]:
    """Every version and delete marker under ``prefix`` (boto3's ListObjectVersions)."""
    out = []
    for page in boto.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        for kind, marker in (("Versions", False), ("DeleteMarkers", True)):
            out += [Listed(v["Key"], v["VersionId"], marker, v["LastModified"]) for v in page.get(kind, [])]
    return out


def _empty_bucket(server: S3Server, bucket: str) -> None:
    """Best effort: versions still under retention cannot be removed (that is the point), so on the
    real server the bucket of a test that locked something for years stays (under
    $LUUTRU_SERVERS_DIR, wiped when tests/servers/start starts the server again); others go."""
    boto = boto_client(server)
    try:
        for v in all_versions(boto, bucket):
            try:
                boto.delete_object(Bucket=bucket, Key=v.object_name, VersionId=v.version_id)
            except Exception:  # noqa: BLE001
                pass
        boto.delete_bucket(Bucket=bucket)
    except Exception:  # noqa: BLE001
        pass


@contextmanager
def s3_store_on(server: S3Server):
    """(store, corrupt) on a fresh bucket with object lock; ``corrupt(key)`` puts different bytes as a
    new current version through another client, keeping the sha256 metadata (a tampered or rotted
    copy that only a verified read can tell apart). The bucket is emptied and removed afterwards."""
    raw = raw_client(server)
    store = make_s3_store(server)
    store.ensure_bucket()

    def corrupt(key: str) -> None:
        current = raw.stat_object(store.bucket, key)
        data = bytearray(raw.get_object(store.bucket, key).read())
        data[0] ^= 0xFF
        raw.put_object(store.bucket, key, io.BytesIO(bytes(data)), len(data),
                       metadata={SHA256_META: current.metadata[SHA256_META]})

    try:
        yield store, corrupt
    finally:
        _empty_bucket(server, store.bucket)


@pytest.fixture
def s3_store(s3_server):
    """(store, corrupt) on each S3 implementation in turn (``s3_store_on``)."""
    with s3_store_on(s3_server) as pair:
        yield pair
