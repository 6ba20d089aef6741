"""Settings: no configuration needed for the embedded default; mistakes stop the start clearly."""

from __future__ import annotations

import pytest

from archive.errors import SettingsError
from archive.settings import Settings, load_settings


def test_embedded_default_needs_nothing(tmp_path):
    s = load_settings({"LUUTRU_DATA_DIR": str(tmp_path)})
    assert (s.objects.backend, s.search.backend, s.extract.tika, s.tasks.backend) == (
        "filesystem", "embedded", "embedded", "inline")
    assert s.database_url == f"sqlite:///{tmp_path.resolve() / 'catalogue.db'}"
    assert s.objects_root == tmp_path.resolve() / "objects"
    assert s.index_path == tmp_path.resolve() / "index"


def test_nested_variables_select_scale_out():
    s = load_settings({
        "LUUTRU_DB__URL": "postgresql://luutru:pw@db:5432/luutru",
        "LUUTRU_OBJECTS__BACKEND": "s3", "LUUTRU_OBJECTS__S3__ENDPOINT": "minio:9000",
        "LUUTRU_OBJECTS__S3__ACCESS_KEY": "a", "LUUTRU_OBJECTS__S3__SECRET_KEY": "Bi-mat-9f3c",
        "LUUTRU_TASKS__BACKEND": "celery", "LUUTRU_TASKS__BROKER_URL": "redis://redis:6379/0",
        "LUUTRU_TASKS__RESULT_BACKEND": "redis://redis:6379/1",
        "LUUTRU_SEARCH__BACKEND": "opensearch", "LUUTRU_SEARCH__OPENSEARCH_URL": "https://opensearch:9200",
    })
    assert s.database_url == "postgresql+psycopg://luutru:pw@db:5432/luutru"
    assert s.objects.s3.secret_key.get_secret_value() == "Bi-mat-9f3c"
    assert "Bi-mat-9f3c" not in repr(s)  # secrets never printed


@pytest.mark.parametrize("env, needle", [
    ({"LUUTRU_OBJECT__BACKEND": "s3"}, "LUUTRU_OBJECT__BACKEND"),
    ({"LUUTRU_OBJECTS__BACKEND": "nfs"}, "LUUTRU_OBJECTS__BACKEND"),
    ({"LUUTRU_OBJECTS__BACKEND": "s3"}, "LUUTRU_OBJECTS__S3__ENDPOINT is required"),
    ({"LUUTRU_SEARCH__BACKEND": "opensearch"}, "LUUTRU_SEARCH__OPENSEARCH_URL is required"),
    ({"LUUTRU_EXTRACT__TIKA": "server"}, "LUUTRU_EXTRACT__TIKA_URL is required"),
    ({"LUUTRU_TASKS__BACKEND": "celery"}, "LUUTRU_TASKS__BROKER_URL is required"),
    ({"LUUTRU_TASKS__BACKEND": "celery", "LUUTRU_TASKS__BROKER_URL": "redis://redis:6379/0"},
     "LUUTRU_TASKS__BACKEND=celery needs LUUTRU_SEARCH__BACKEND=opensearch"),
    ({"LUUTRU_TASKS__BACKEND": "celery", "LUUTRU_TASKS__BROKER_URL": "redis://redis:6379/0",
      "LUUTRU_SEARCH__BACKEND": "opensearch", "LUUTRU_SEARCH__OPENSEARCH_URL": "http://opensearch:9200"},
     "LUUTRU_TASKS__RESULT_BACKEND is required"),
    ({"LUUTRU_DB__URL": "mysql://x/y"}, "LUUTRU_DB__URL must be"),
    ({"LUUTRU_API__HOST": "0.0.0.0"}, "LUUTRU_API__SECRET_KEY is required"),
    ({"LUUTRU_API__PORT": "70000"}, "LUUTRU_API__PORT"),
])
def test_unknown_or_inconsistent_settings_are_refused(env, needle):
    with pytest.raises(SettingsError) as info:
        load_settings(env)
    assert needle in str(info.value)
    assert info.value.message_vi.startswith("Cấu hình không hợp lệ")


def test_no_instance_at_import():
    import archive.settings as module

    assert not any(isinstance(v, Settings) for v in vars(module).values())


def test_configuration_reference_is_current():
    from pathlib import Path

    from archive.settings import reference_markdown

    doc = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
    assert doc.read_text(encoding="utf-8") == reference_markdown(), (
        "run: python -m archive.settings > docs/configuration.md")
