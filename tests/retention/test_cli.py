"""``luutru retention`` end to end on the embedded default."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from api.cli import app


def test_retention_commands(data_dir, tmp_path):
    runner = CliRunner()
    out = runner.invoke(app, ["retention", "schedules", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)[0]["code"] == "vn-sample"
    out = runner.invoke(app, ["retention", "due", "--as-of", "2025-01-01", "--json"])
    assert out.exit_code == 0 and json.loads(out.output) == []
    sched = tmp_path / "s.csv"
    sched.write_text("item_code,description,period\n1,Công văn,5\n2,Quyết định,permanent\n", encoding="utf-8")
    out = runner.invoke(app, ["retention", "import", str(sched), "--code", "agency", "--json"])
    assert json.loads(out.output) == {"code": "agency", "version": 1, "created": True}
    out = runner.invoke(app, ["retention", "sweep", "--as-of", "2025-01-01"])
    assert out.exit_code == 0 and "Xem xét hủy" in out.output
    out = runner.invoke(app, ["retention", "assign", "--dossier", "khong-co", "--item", "agency/1", "--reason", "x"])
    assert out.exit_code == 1 and "Lỗi" in out.output
    xlsx = tmp_path / "r.xlsx"
    out = runner.invoke(app, ["retention", "report", "destroyed", "-o", str(xlsx)])
    assert out.exit_code == 0 and xlsx.exists()
