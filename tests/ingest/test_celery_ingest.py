"""The Celery path: ``luutru ingest`` sends each file to a real ``luutru worker`` process through
the machine's Redis, and the outcomes match the inline path: archived, then duplicates."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from served import account
from services import opensearch_backend

from kit.corpus import generate

pytestmark = [pytest.mark.redis, pytest.mark.opensearch]


def celery_env(data_dir: Path, redis_url: str, index_prefix: str) -> dict:
    """Celery needs a shared index (settings refuse the embedded one): the real OpenSearch."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUUTRU_") or k.startswith("LUUTRU_TEST_")}
    env.update(LUUTRU_DATA_DIR=str(data_dir), LUUTRU_TASKS__BACKEND="celery", LUUTRU_TASKS__BROKER_URL=redis_url,
               LUUTRU_TASKS__RESULT_BACKEND=redis_url,
               LUUTRU_TASKS__QUEUE=f"luutru-test-{uuid.uuid4().hex[:8]}",  # never another run's worker
               LUUTRU_SEARCH__BACKEND="opensearch", LUUTRU_SEARCH__OPENSEARCH_URL=os.environ["OPENSEARCH_URL"],
               LUUTRU_SEARCH__INDEX_PREFIX=index_prefix, LUUTRU_SEARCH__OPENSEARCH_REPLICAS="0")
    return env


@pytest.fixture
def index_prefix():
    prefix = f"celery-{uuid.uuid4().hex[:8]}"
    opensearch_backend(prefix).close()  # skips (fails under CI) without a cluster
    yield prefix
    backend = opensearch_backend(prefix)
    backend.drop()
    backend.close()


def luutru(*args, env, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_ingest_through_celery_and_redis(tmp_path, redis_db, index_prefix):
    corpus = tmp_path / "corpus"
    truth = generate(corpus, seed=3, count=6, formats=("pdf", "html"))
    env = celery_env(tmp_path / "data", redis_db, index_prefix)
    assert luutru("init", env=env).returncode == 0
    env = account(env)  # ingesting is an archivist's work
    worker = subprocess.Popen([sys.executable, "-m", "api.cli", "worker", "--concurrency", "2"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        expected = {str((corpus / t["file"]).resolve()): t for t in truth}
        first = luutru("ingest", str(corpus), "--json", env=env)
        rows = [json.loads(line) for line in first.stdout.splitlines() if line.startswith("{")]
        rows = [r for r in rows if not r["path"].endswith("truth.jsonl")]  # the truth file is ingested too
        assert len(rows) == len(truth), first.stderr
        for r in rows:
            t = expected[r["path"]]
            assert (r["outcome"], r["code"]) == (t["expected_outcome"], t.get("expected_reason")), r
        assert first.returncode == (1 if any(t["expected_outcome"] == "rejected" for t in truth) else 0)
        second = luutru("ingest", str(corpus), "--json", env=env)
        again = {r["path"]: r for r in (json.loads(line) for line in second.stdout.splitlines()
                                        if line.startswith("{"))}
        for r in rows:
            if r["outcome"] == "ingested":
                assert again[r["path"]]["outcome"] == "duplicate"
                assert again[r["path"]]["record_id"] == r["record_id"]
            else:
                assert again[r["path"]]["outcome"] == "rejected"
        rows = [r for r in rows if r["outcome"] == "ingested"]
        shown = luutru("show", rows[0]["record_id"], "--json", env=env)
        assert json.loads(shown.stdout)["components"][0]["sha256"] == rows[0]["sha256"]
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def test_a_scan_is_ocred_and_its_copy_validated_by_the_celery_workers(tmp_path, redis_db, index_prefix):
    """Scale-out: the worker OCRs the scan (Tesseract vie in its extraction process) and the
    validation of the searchable copy runs as its own Celery task (luutru.preserve_record)."""
    import random
    import time

    from served import account

    from ingest.ocr.engine import tools
    from ingest.pdfa import VeraPdfValidator
    from kit.corpus.generator import random_doc_spec
    from kit.corpus.scans import scan

    if tools("vie")["missing"] or VeraPdfValidator.find("verapdf") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Tesseract vie and veraPDF are required under CI")
        pytest.skip("Tesseract vie or veraPDF not installed")
    spec = random_doc_spec(random.Random("celery-scan"), pages=1, marks=False)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "scan.tif").write_bytes(scan(spec, dpi=150, quality="clean").tiff_bytes())
    env = account(celery_env(tmp_path / "data", redis_db, index_prefix))
    worker = subprocess.Popen([sys.executable, "-m", "api.cli", "worker", "--concurrency", "1"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out = luutru("ingest", str(folder), "--json", env=env, timeout=600)
        row = next(json.loads(ln) for ln in out.stdout.splitlines() if ln.startswith("{"))
        assert row["outcome"] == "ingested", out.stdout + out.stderr
        deadline = time.monotonic() + 300
        while True:
            record = json.loads(luutru("show", row["record_id"], "--json", env=env).stdout)
            validations = [e for e in record["events"] if e["type"] == "validation"]
            if validations or time.monotonic() > deadline:
                break
            time.sleep(2)
        assert record["extra"]["ocr"]["status"] == "done"
        assert record["code_number"] + "/" + record["code_notation"] == spec.so_ky_hieu
        assert [v["outcome"] for v in validations] == ["success"], validations
        assert {c["role"] for c in record["components"]} >= {"ocr_copy", "text"}
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
