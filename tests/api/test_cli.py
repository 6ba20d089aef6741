"""The ``luutru`` command line on the embedded default, as a user runs it."""

from __future__ import annotations

import io
import json
import os

import pytest
from typer.testing import CliRunner

from api.wiring import build_services, get_settings
from archive.domain import RecordMetadata

runner = CliRunner()


@pytest.fixture
def record(cli, data_dir):
    assert cli("init").exit_code == 0
    services = build_services(get_settings())
    data = "Nội dung công văn số 9545/UBND-THCB".encode() * 1000
    created = services.archive.create_record(
        io.BytesIO(data), filename="Công văn 9545.pdf", actor="test", media_type="application/pdf",
        metadata=RecordMetadata(type_name="Công văn", code_number="9545", code_notation="UBND-THCB",
                                subject="V/v tăng cường công tác văn thư, lưu trữ"))
    services.close()
    return created.record_id, data


def test_init_and_status_on_a_fresh_folder(cli, data_dir):
    result = cli("init")
    assert result.exit_code == 0, result.output
    assert (data_dir / "catalogue.db").exists() and (data_dir / "objects").is_dir()
    assert "Đã khởi tạo kho lưu trữ" in result.output
    result = cli("status", "--json")
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert {k: v["backend"] for k, v in status["checks"].items()} == {
        "catalogue": "sqlite", "objects": "filesystem", "search": "embedded", "extraction": "tika-embedded",
        "tasks": "inline"}
    assert all(c["ok"] for c in status["checks"].values())
    assert status["counts"]["records"] == 0
    table = cli("status")
    assert "Cơ sở dữ liệu danh mục" in table.output and "tốt" in table.output


def test_show_and_get(cli, record, tmp_path):
    record_id, data = record
    shown = cli("show", record_id, "--json")
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.output)
    assert body["so_ky_hieu"] == "9545/UBND-THCB" and body["original_filename"] == "Công văn 9545.pdf"
    assert "Trích yếu" in cli("show", record_id).output
    out = tmp_path / "ra.pdf"
    got = cli("get", record_id, "-o", str(out))
    assert got.exit_code == 0, got.output
    assert out.read_bytes() == data
    again = cli("get", record_id, "-o", str(out))
    assert again.exit_code == 1 and "đã tồn tại" in again.output


def test_get_refuses_corrupted_bytes_and_leaves_no_file(cli, record, data_dir, tmp_path):
    record_id, data = record
    key = json.loads(cli("show", record_id, "--json").output)["components"][0]["storage_key"]
    path = data_dir / "objects" / key
    os.chmod(path, 0o644)
    path.write_bytes(data[:-1] + b"X")
    out = tmp_path / "hong.pdf"
    result = cli("get", record_id, "-o", str(out))
    assert result.exit_code == 1
    assert "mã băm SHA-256 không khớp" in result.output
    assert not out.exists() and not (tmp_path / "hong.pdf.part").exists()


def test_unknown_record_is_a_clear_error(cli, data_dir):
    cli("init")
    result = cli("show", "khong-ton-tai")
    assert result.exit_code == 1 and "Không tìm thấy văn bản" in result.output


def test_repair_reports_a_clean_archive(cli, record):
    result = cli("repair", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["clean"] is True


def test_bad_setting_stops_the_start(cli, monkeypatch):
    monkeypatch.setenv("LUUTRU_OBJECTS__BACKEN", "s3")
    result = cli("status")
    assert result.exit_code == 2
    assert "LUUTRU_OBJECTS__BACKEN" in result.output


def test_show_speaks_to_officials_in_vietnamese(cli, record):
    record_id, _ = record
    out = cli("show", record_id).output
    assert "Nội bộ" in out and "Đang lưu giữ" in out and "giờ Việt Nam" in out
    assert "internal" not in out and "active" not in out
