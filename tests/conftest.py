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


CLI_PASSWORD = "Mật-khẩu-thử-nghiệm-2026"
PEOPLE = {
    # username: (role, full name, title) — the people of a small provincial archive
    "luutruvien": ("archivist", "Nguyễn Thị Lan", "Chuyên viên lưu trữ"),
    "chanhvanphong": ("archivist", "Trần Văn Bình", "Chánh Văn phòng"),
    "hoidong1": ("council", "Lê Văn Cường", "Phó Giám đốc, Chủ tịch Hội đồng"),
    "hoidong2": ("council", "Phạm Thị Dung", "Trưởng phòng Hành chính, Thư ký Hội đồng"),
    "hoidong3": ("council", "Hoàng Văn Em", "Chuyên viên chính, thành viên Hội đồng"),
    "canbo": ("official", "Vũ Thị Hoa", "Chuyên viên"),
    "quantri": ("admin", "Đỗ Văn Khoa", "Quản trị hệ thống"),
    "quantri2": ("admin", "Ngô Thị Mai", "Quản trị hệ thống"),
}


def ensure_people(names=None) -> dict[str, str]:
    """Create these people (default: all of ``PEOPLE``) in the archive the environment selects, if
    missing; returns the environment a command run as one of them needs, per name."""
    from api.wiring import build_services, get_settings

    get_settings.cache_clear()
    services = build_services(get_settings())
    try:
        existing = {u["username"] for u in services.accounts.list_users()}
        for name in names or PEOPLE:
            if name not in existing:
                role, full_name, title = PEOPLE[name]
                services.accounts.create_user(name, full_name=full_name, title=title, role=role,
                                              password=CLI_PASSWORD, actor="test:setup",
                                              access_levels=["public", "internal", "restricted", "secret"]
                                              if role == "archivist" else None)
    finally:
        services.close()
        get_settings.cache_clear()
    return {name: {"LUUTRU_USER": name, "LUUTRU_PASSWORD": CLI_PASSWORD} for name in names or PEOPLE}


class CliRunnerAs:
    """``luutru`` in-process (Typer's runner) against the ``data_dir`` archive, as a person of
    ``PEOPLE`` — the archivist ``luutruvien`` unless ``as_user`` says otherwise (``None``: no
    account, the machine's operator). Accounts are created on first use, in whatever catalogue the
    environment selects by then (a test may switch to PostgreSQL first)."""

    def __init__(self):
        from typer.testing import CliRunner

        self.runner = CliRunner()
        self.user: str | None = "luutruvien"
        self._made: set[str] = set()

    def as_user(self, name: str | None):
        """From now on act as ``name``; also returns a runner that always acts as ``name``."""
        self.user = name
        return lambda *args, **kw: self._invoke(name, args, **kw)

    def ensure(self, *names: str) -> None:
        """Create these accounts now (e.g. the council, before a batch names it)."""
        ensure_people(list(names) or None)
        self._made.update(names or PEOPLE)

    def __call__(self, *args, input: str | None = None, env: dict | None = None):
        return self._invoke(self.user, args, input=input, env=env)

    def _invoke(self, user: str | None, args, *, input: str | None = None, env: dict | None = None):
        from api.cli import app
        from api.cli.identity import request_user
        from api.wiring import get_settings

        env_vars = {"LUUTRU_USER": None, "LUUTRU_PASSWORD": None, "LUUTRU_TOKEN": None}
        if user is not None:
            if user not in self._made:
                from archive.errors import SettingsError

                try:
                    ensure_people([user])
                    self._made.add(user)
                except SettingsError:
                    pass  # the test's settings are wrong on purpose: the command reports it
            env_vars = {**env_vars, "LUUTRU_USER": user, "LUUTRU_PASSWORD": CLI_PASSWORD}
        get_settings.cache_clear()
        request_user(None)
        return self.runner.invoke(app, list(args), input=input, env={**env_vars, **(env or {})})


@pytest.fixture
def cli(data_dir, tmp_path, monkeypatch):
    """Run ``luutru`` commands in-process as a person (see ``CliRunnerAs``); saved CLI sessions go
    to a folder of the test's."""
    from api.wiring import get_settings

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    get_settings.cache_clear()
    yield CliRunnerAs()
    get_settings.cache_clear()
