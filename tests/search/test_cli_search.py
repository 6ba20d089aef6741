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


# long and malformed input ------------------------------------------------------------------------
LAW = ("Người lao động có quyền làm việc cho bất kỳ người sử dụng lao động nào và ở bất kỳ nơi nào mà pháp luật "
       "không cấm. Trường hợp làm việc cho nhiều người sử dụng lao động thì người lao động phải bảo đảm thực hiện "
       "đầy đủ các nội dung đã giao kết với từng người sử dụng lao động.")


def test_malformed_queries_exit_2_with_a_clear_message(cli):
    """GIVEN queries past the bounds (490 nested parentheses: a RecursionError traceback before;
    too many words) WHEN searched from the command line THEN exit code 2 and a Vietnamese
    message, no traceback."""
    for q, words in (("(" * 490 + "lưu trữ" + ")" * 490, "ngoặc"), ("a " * 450, "450 từ")):
        result = cli("search", q)
        assert result.exit_code == 2, result.output
        assert isinstance(result.exception, SystemExit) and words in result.output
        assert "Traceback" not in result.output


def test_batch_reports_each_bad_line_and_goes_on(cli, tmp_path):
    """GIVEN a batch file whose lines hold a cursor of the wrong shape, nesting past the bound,
    JSON nested 100,000 deep, a line that is not an object WHEN run THEN each bad line is an error
    line with its code and the good lines are answered."""
    lines = [{"id": "a", "q": "lưu trữ", "search_after": ["x", "y"]},
             {"id": "b", "q": "(" * 490 + "a" + ")" * 490},
             {"id": "c", "q": "9545"},
             {"id": "d", "q": "lưu", "search_after": [1e308, 1]}]
    f = tmp_path / "q.jsonl"
    f.write_text("\n".join([json.dumps(x) for x in lines] + ["[" * 100_000, "[1, 2]"]) + "\n", encoding="utf-8")
    result = cli("search", "--batch", str(f))
    assert result.exit_code == 0, result.output
    out = [json.loads(x) for x in result.output.splitlines()]
    assert [x.get("code") for x in out] == ["invalid_cursor", "query_too_complex", None, "invalid_cursor", None, None]
    assert out[2]["hits"][0]["so_ky_hieu"] == "9545/UBND-THCB"
    assert all(x["error"] for x in out if x["id"] != "c") and out[4]["line"] == 5


def test_a_long_pasted_query_is_answered_by_a_real_process(data_dir, tmp_path):
    """GIVEN a record holding a paragraph of the Labour Code WHEN ``luutru search`` (a real
    process) is given 145 words of it, then the same word 200 times THEN exit code 0 and the
    record is found (the engine's process died of a segmentation fault, exit code 139, before)."""
    import subprocess
    import sys

    get_settings.cache_clear()
    assert runner.invoke(app, ["init"]).exit_code == 0
    services = build_services(get_settings())
    body = " ".join([LAW] * 4)
    services.archive.create_record(
        io.BytesIO(body.encode()), filename="bllđ.txt", actor="test", media_type="text/plain",
        metadata=RecordMetadata(type_name="Bộ luật", subject="Quyền làm việc của người lao động"),
        derivatives=[NewComponent(io.BytesIO(body.encode()), "text", "text/plain; charset=utf-8")])
    services.archive.run_pending_tasks()
    services.close()
    words = " ".join(f"{body} {body}".split()[20:165])
    for q in (words, " ".join(["lao động"] * 100)):
        run = subprocess.run([sys.executable, "-m", "api.cli", "search", q, "--json"], capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 0, (run.returncode, run.stderr[-2000:])
        assert json.loads(run.stdout)["hits"][0]["title"] == "Quyền làm việc của người lao động"
    get_settings.cache_clear()
