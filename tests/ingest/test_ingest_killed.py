"""``luutru ingest`` of a folder killed in the middle (SIGKILL, at whatever step the group commit is
in), then ``luutru repair`` and the same command again, as an operator would: every file ends in
the archive exactly once, nothing is left for the repair pass, on SQLite and PostgreSQL. The
installed console script runs in its own process; the documents are the corpus generator's."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from served import ROOT, account, child_env

from archive.catalogue.models import Component, OutboxEntry, Record

LUUTRU = str(Path(sys.executable).parent / "luutru")
COUNT = 24


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def env(request, tmp_path):
    env = {"LUUTRU_DATA_DIR": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "LUUTRU_REPAIR__ORPHAN_GRACE_SECONDS": "0"}
    env["LUUTRU_DB__URL"] = (request.getfixturevalue("postgres_url") if request.param == "postgres"
                             else f"sqlite:///{tmp_path / 'data' / 'catalogue.db'}")
    return account(env)


def _luutru(env, *args):
    return subprocess.run([LUUTRU, *args], env=child_env(env), cwd=ROOT, capture_output=True, text=True, timeout=900,
                          check=False)


def _count(url: str, model, *where) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()
    finally:
        engine.dispose()


def test_a_killed_folder_ingest_is_completed_by_repair_and_a_second_run(env, tmp_path):
    """GIVEN a folder of 24 documents whose ``luutru ingest`` is killed once some records committed
    WHEN ``luutru repair`` then ``luutru ingest`` of the same folder run
    THEN the second run finds every record of the first as a duplicate and ingests the rest (the
    documents marked secret are refused, in both runs), the catalogue holds exactly one original
    per accepted file, no outbox row is left and a last repair is clean."""
    from kit.corpus import generate_pdf, random_doc_spec

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    rng = random.Random(20)
    for i in range(COUNT):
        (inbox / f"vb-{i:03d}.pdf").write_bytes(generate_pdf(random_doc_spec(rng, pages=rng.randint(1, 4))))
    url = env["LUUTRU_DB__URL"]
    proc = subprocess.Popen([LUUTRU, "ingest", str(inbox), "--json"], env=child_env(env), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while True:
            assert proc.poll() is None, "the run ended before it could be killed: " + proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "no record committed in time"
            try:
                if _count(url, Record) >= 4:
                    break
            except sa.exc.OperationalError:
                pass  # the catalogue is being created
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # its process group: the extraction workers and Siegfried too
        proc.wait(30)
        proc.stderr.close()
    killed_with = _count(url, Record)
    assert 4 <= killed_with < COUNT - 1
    repair = _luutru(env, "repair", "--json")
    assert repair.returncode == 0, repair.stderr
    assert json.loads(repair.stdout)["missing"] == []
    run = _luutru(env, "ingest", str(inbox), "--json")
    rows = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    outcomes = [r["outcome"] for r in rows]
    assert run.returncode == (1 if "rejected" in outcomes else 0), run.stderr[-3000:]
    assert len(outcomes) == COUNT, run.stdout[-3000:]
    # the corpus has documents marked secret (độ mật), refused by default in both runs
    refused = {Path(r["path"]).name for r in rows if r["outcome"] == "rejected"}
    assert {r["code"] for r in rows if r["outcome"] == "rejected"} <= {"state_secret"}
    assert set(outcomes) <= {"ingested", "duplicate", "rejected"}
    assert outcomes.count("duplicate") == killed_with  # every record of the first run is found again
    digests = {hashlib.sha256((inbox / name).read_bytes()).hexdigest()
               for name in os.listdir(inbox) if name not in refused and name.endswith(".pdf")}
    assert len(digests) == COUNT - len(refused)
    assert _count(url, Record) == len(digests)
    assert _count(url, Component, Component.role == "original") == len(digests)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            stored = set(conn.execute(sa.select(Component.sha256).where(Component.role == "original")).scalars())
    finally:
        engine.dispose()
    assert stored == digests
    last = json.loads(_luutru(env, "repair", "--json").stdout)
    assert last["clean"] and last["orphans_removed"] == [] and last["outbox_failed"] == 0
    assert _count(url, OutboxEntry, OutboxEntry.kind != "task") == 0
