"""``luutru ingest`` on a generated corpus, hostile files included, compared with the generator's
truth: every good file archived with the right metadata, every hostile file rejected with its
reason and kept in quarantine, everything a duplicate on the second run."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.wiring import build_ingest, build_services, get_settings
from ingest.pipeline import SourceFile
from kit.corpus import generate
from kit.ingest_accuracy import compare

runner = CliRunner()

# Minimum field-level accuracy on the generated corpus (the parser's bar; see bench/ingest_accuracy.py).
ACCURACY_BAR = {"so_ky_hieu": 0.95, "issued_date": 0.95, "doc_type": 0.9, "issuing_agency": 0.85,
                "subject": 0.8, "signer_name": 0.85}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list[dict]]:
    folder = tmp_path_factory.mktemp("corpus")
    truth = generate(folder, seed=11, count=24, hostile=True)
    return folder, truth


def rows_of(output: str) -> dict[str, dict]:
    rows = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return {Path(r["path"]).name: r for r in rows}


def test_corpus_is_archived_or_rejected_as_the_truth_says(cli, corpus, data_dir):
    folder, truth = corpus
    first = cli("ingest", str(folder), "--json")
    rows = rows_of(first.output)
    files = [t for t in truth if not t.get("submit_name")]
    assert {Path(t["file"]).name for t in files} <= set(rows)
    assert first.exit_code == (1 if any(t["expected_outcome"] == "rejected" for t in files) else 0)

    services = build_services(get_settings())
    try:
        pairs = []
        for t in files:
            row = rows[Path(t["file"]).name]
            assert row["outcome"] == t["expected_outcome"], (t["file"], row)
            if t["expected_outcome"] == "rejected":
                assert row["code"] == t["expected_reason"], (t["file"], row)
                reason = json.loads((Path(row["quarantine"]) / "reason.json").read_text(encoding="utf-8"))
                assert reason["code"] == t["expected_reason"] and reason["message_vi"]
                continue
            record = services.archive.get_record(row["record_id"], actor="test")
            assert record["components"][0]["media_type"] == t["media_type"]
            original = (folder / t["file"]).read_bytes()
            assert record["components"][0]["sha256"] == hashlib.sha256(original) .hexdigest()
            _, reader = services.archive.open_component(row["record_id"], role="text", actor="test")
            text = reader.read().decode("utf-8")
            assert text == unicodedata.normalize("NFC", text)
            if t.get("body_sample"):
                assert " ".join(unicodedata.normalize("NFC", t["body_sample"]).split()) in " ".join(text.split())
            if t["media_type"] == "application/pdf" and t.get("pages"):
                assert record["page_amount"] == t["pages"]
            pairs.append((t, record))
        accuracy = compare([(t, r) for t, r in pairs if t["media_type"] == "application/pdf"])
        for field, bar in ACCURACY_BAR.items():
            assert accuracy[field]["accuracy"] >= bar, (field, accuracy[field])
    finally:
        services.close()

    second = cli("ingest", str(folder), "--json")
    again = rows_of(second.output)
    for t in files:
        row = again[Path(t["file"]).name]
        expected = "duplicate" if t["expected_outcome"] == "ingested" else "rejected"
        assert row["outcome"] == expected
        if expected == "duplicate":
            assert row["record_id"] == rows[Path(t["file"]).name]["record_id"]


def test_declared_names_are_neutralised(corpus, data_dir):
    folder, truth = corpus
    named = [t for t in truth if t.get("submit_name")]
    assert named, "the hostile set declares a path-traversal name"
    get_settings.cache_clear()
    services = build_services(get_settings())
    try:
        ingest = build_ingest(services, workers=1)
        for t in named:
            outcome = ingest.run(SourceFile(path=folder / t["file"], submit_name=t["submit_name"]))
            assert outcome.outcome == "ingested"
            record = services.archive.get_record(outcome.record_id, actor="test")
            assert "/" not in record["original_filename"] and ".." not in record["original_filename"]
        assert not (data_dir.parent / "etc").exists()
    finally:
        services.close()
        get_settings.cache_clear()
