"""``luutru search`` and ``luutru reindex`` on the embedded default, as a user runs them."""

from __future__ import annotations

import io
import json

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.wiring import build_services, get_settings
from archive.domain import RecordMetadata
from archive.service import NewComponent

runner = CliRunner()


@pytest.fixture
def cli(data_dir):
    get_settings.cache_clear()
    assert runner.invoke(app, ["init"]).exit_code == 0
    services = build_services(get_settings())
    for n, (notation, subject) in enumerate([("UBND-THCB", "Về việc tăng cường công tác văn thư, lưu trữ"),
                                             ("QĐ-UBND", "Quyết định ban hành quy chế lưu trữ")], start=9545):
        services.archive.create_record(
            io.BytesIO(f"original {n}".encode()), filename=f"{n}.pdf", actor="test", media_type="application/pdf",
            metadata=RecordMetadata(type_name="Công văn" if n == 9545 else "Quyết định", code_number=str(n),
                                    code_notation=notation, subject=subject, organ_name="UBND thành phố Hà Nội"),
            derivatives=[NewComponent(io.BytesIO(subject.encode()), "text", "text/plain; charset=utf-8")])
    services.close()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def test_search_table_json_and_audit(cli):
    result = cli("search", "luu tru")
    assert result.exit_code == 0, result.output
    assert "Số ký hiệu" in result.output and "9545/UBND-THCB" in result.output
    out = json.loads(cli("search", "9545/UBND-THCB", "--json").output)
    assert out["total"] >= 1 and out["hits"][0]["so_ky_hieu"] == "9545/UBND-THCB"
    assert set(out["hits"][0]) == {"record_id", "score", "so_ky_hieu", "title", "date", "snippet"}
    assert "type" in out["facets"]
    filtered = json.loads(cli("search", "lưu trữ", "--type", "Quyết định", "--json").output)
    assert [h["so_ky_hieu"] for h in filtered["hits"]] == ["9546/QĐ-UBND"]
    services = build_services(get_settings())
    import sqlalchemy as sa

    from archive.catalogue import AuditEntry

    with services.catalogue.session() as s:
        assert s.execute(sa.select(sa.func.count()).where(AuditEntry.action == "search")).scalar_one() == 3
    services.close()


def test_batch(cli, tmp_path):
    f = tmp_path / "q.jsonl"
    f.write_text('{"id": "a", "q": "9545"}\n{"id": "b", "q": "quy che", "type": "Quyết định"}\n', encoding="utf-8")
    lines = [json.loads(x) for x in cli("search", "--batch", str(f)).output.splitlines()]
    assert [x["id"] for x in lines] == ["a", "b"]
    assert lines[0]["hits"][0]["so_ky_hieu"] == "9545/UBND-THCB" and lines[1]["total"] == 1


def test_reindex_and_check(cli):
    assert cli("reindex", "--check").exit_code == 0
    result = cli("reindex", "--json")
    assert result.exit_code == 0 and json.loads(result.output)["indexed"] == 2
