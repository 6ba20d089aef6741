"""Shared fixtures. Services (PostgreSQL, Redis, OpenSearch, the Tika server, the S3 server) are
required under CI=true (a test fails when it cannot reach them) and may skip only on a machine
without them; tests/services.py says where they are found (the environment, else the env file of
tests/servers/start). The summary says which real servers the tests ran against."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from services import load_servers_env, service_unavailable

from archive.catalogue import Catalogue
from archive.objects.filesystem import FilesystemObjectStore
from archive.service import ArchiveService

load_servers_env()  # before anything reads the variables below

pytest_plugins = ["fixtures_s3", "servers_report"]

POSTGRES_URL = os.environ.get("LUUTRU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("LUUTRU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _pg_url() -> str:
    url = POSTGRES_URL
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL schema for one test, dropped afterwards; yields a URL bound to it."""
    base = _pg_url()
    try:
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as exc:  # noqa: BLE001
        service_unavailable("PostgreSQL", exc)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'create schema "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'drop schema "{schema}" cascade'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def catalogue_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalogue.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def catalogue(catalogue_url) -> Iterator[Catalogue]:
    cat = Catalogue(catalogue_url)
    cat.migrate()
    yield cat
    cat.dispose()


@pytest.fixture
def fs_store(tmp_path) -> FilesystemObjectStore:
    return FilesystemObjectStore(tmp_path / "objects")


class RecordingIndexer:
    """Records what the archive asked to index; can be told to fail (a crash stand-in)."""

    def __init__(self) -> None:
        self.indexed: list[str] = []
        self.deleted: list[str] = []
        self.fail = False

    def index(self, record_ids):
        if self.fail:
            raise RuntimeError("index is down")
        self.indexed.extend(record_ids)

    def delete(self, record_ids):
        if self.fail:
            raise RuntimeError("index is down")
        self.deleted.extend(record_ids)


@pytest.fixture
def indexer() -> RecordingIndexer:
    return RecordingIndexer()


@pytest.fixture
def archive_service(catalogue, fs_store, indexer) -> ArchiveService:
    return ArchiveService(catalogue, fs_store, indexer=indexer, orphan_grace=timedelta(0))


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """An empty embedded data folder, selected through the environment as a user would."""
    for key in [k for k in os.environ if k.startswith("LUUTRU_") and not k.startswith("LUUTRU_TEST_")]:
        monkeypatch.delenv(key)
    d = tmp_path / "data"
    monkeypatch.setenv("LUUTRU_DATA_DIR", str(d))
    return d


@pytest.fixture
def redis_db() -> Iterator[str]:
    """The machine's Redis (a test database, flushed before and after)."""
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_timeout=3)
        client.ping()
    except Exception as exc:  # noqa: BLE001
        service_unavailable("Redis", exc)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()


@pytest.fixture
def cli(data_dir):
    """Run a ``luutru`` command in-process (Typer's runner) against the ``data_dir`` archive."""
    from typer.testing import CliRunner

    from api.cli import app
    from api.wiring import get_settings

    runner = CliRunner()
    get_settings.cache_clear()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()
