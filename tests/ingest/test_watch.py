"""``luutru watch``: a drop folder — files are archived (or quarantined with their reason) and
leave the folder only once the archive or the quarantine holds them."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from api.wiring import build_services, get_settings
from kit.corpus import generate

runner = CliRunner()


def test_drop_folder_is_emptied_into_archive_and_quarantine(cli, tmp_path, data_dir):
    drop = tmp_path / "tiep-nhan"
    truth = generate(drop, seed=21, count=3, formats=("pdf",))
    (drop / "truth.jsonl").unlink()
    (drop / "rong.pdf").write_bytes(b"")
    result = cli("watch", str(drop), "--once")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    by_name = {r["path"].rsplit("/", 1)[-1]: r for r in rows}
    assert by_name["rong.pdf"]["outcome"] == "rejected" and by_name["rong.pdf"]["code"] == "empty_file"
    for t in truth:
        assert by_name[t["file"].rsplit("/", 1)[-1]]["outcome"] == t["expected_outcome"]
    assert [p for p in drop.rglob("*") if p.is_file()] == []
    services = build_services(get_settings())
    try:
        ingested = [r for r in rows if r["outcome"] == "ingested"]
        assert services.archive.counts()["records"] == len(ingested)
        for r in ingested:
            _, reader = services.archive.open_component(r["record_id"], actor="test")
            assert len(reader.read()) > 0
    finally:
        services.close()
    assert (data_dir / "quarantine").is_dir()
