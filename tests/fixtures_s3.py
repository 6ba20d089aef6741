"""S3 fixtures: moto's S3 server, started in-process (a thread on 127.0.0.1, a free port), stands in
for MinIO. It needs no Docker and no network, so these tests always run; nothing is skipped."""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Iterator

import pytest
from minio import Minio

from archive.objects.s3 import SHA256_META, S3ObjectStore

ACCESS_KEY = "luutru-test"
SECRET_KEY = "luutru-test-secret"
REGION = "us-east-1"
TEST_PART_SIZE = 5 * 1024 * 1024  # S3's minimum, so a 12 MiB stream takes three parts


@pytest.fixture(scope="session")
def moto_s3_endpoint() -> Iterator[str]:
    """``host:port`` of a moto S3 server for the whole session."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_raw_client(moto_s3_endpoint) -> Minio:
    """A plain minio client, as another party with write access to the bucket would use."""
    return Minio(moto_s3_endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY, secure=False, region=REGION)


def make_s3_store(endpoint: str, bucket: str | None = None, **kwargs) -> S3ObjectStore:
    options = dict(secure=False, region=REGION, object_lock=True, retention_mode="COMPLIANCE",
                   part_size=TEST_PART_SIZE)
    options.update(kwargs)
    return S3ObjectStore(endpoint, ACCESS_KEY, SECRET_KEY, bucket or f"luutru-{uuid.uuid4().hex[:20]}",
                         **options)


def _empty_bucket(client: Minio, bucket: str) -> None:
    """Best effort: versions still under retention cannot be removed (that is the point)."""
    try:
        for obj in client.list_objects(bucket, recursive=True, include_version=True):
            try:
                client.remove_object(bucket, obj.object_name, version_id=obj.version_id)
            except Exception:  # noqa: BLE001
                pass
    except Exception:  # noqa: BLE001
        pass


@pytest.fixture
def s3_store(moto_s3_endpoint, s3_raw_client):
    """(store, corrupt) on a fresh bucket with object lock; ``corrupt(key)`` puts different bytes as a
    new current version through another client, keeping the sha256 metadata (a tampered or rotted
    copy that only a verified read can tell apart)."""
    store = make_s3_store(moto_s3_endpoint)
    store.ensure_bucket()

    def corrupt(key: str) -> None:
        current = s3_raw_client.stat_object(store.bucket, key)
        data = bytearray(s3_raw_client.get_object(store.bucket, key).read())
        data[0] ^= 0xFF
        s3_raw_client.put_object(store.bucket, key, io.BytesIO(bytes(data)), len(data),
                                 metadata={SHA256_META: current.metadata[SHA256_META]})

    yield store, corrupt
    _empty_bucket(s3_raw_client, store.bucket)
