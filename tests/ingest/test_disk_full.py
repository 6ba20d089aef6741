"""A full disk stops ``luutru ingest`` cleanly: a clear ``disk_full`` report (also in ``--json``),
nothing quarantined for it, exit code 3, and a re-run after freeing space finishes the job.

Regression (issue 13, defect 12): a full disk ended ``luutru ingest`` with a traceback and no
``--json`` output. One test on a real, tiny tmpfs (needs root to mount it, as on CI); one with the
store's write failing as the kernel reports it (ENOSPC), which runs anywhere."""

from __future__ import annotations

import errno
import json
import os
import random
import subprocess
import uuid

import pytest
from served import account, run_cli

from kit.corpus.generator import generate_pdf, random_doc_spec

MiB = 1024 * 1024


def _folder(tmp_path, n: int, *, pad: int = 0):
    folder = tmp_path / "den"
    folder.mkdir()
    for i in range(n):
        pdf = generate_pdf(random_doc_spec(random.Random(700 + i), marks=False, pages=1))
        # the padding (a PDF comment after %%EOF) makes the file large without more extraction work
        (folder / f"cong-van-{i:02d}.pdf").write_bytes(pdf + (b"\n%" + os.urandom(pad // 2).hex().encode() if pad else b""))
    return folder


def test_enospc_from_the_store_stops_the_run_with_a_report(cli, data_dir, tmp_path, monkeypatch):
    from archive.objects.filesystem import FilesystemObjectStore

    folder = _folder(tmp_path, 6)
    real_put, calls = FilesystemObjectStore.put, {"n": 0}

    def put(self, stream, **kw):
        calls["n"] += 1
        if calls["n"] > 4:  # the disk fills up after a few objects
            raise OSError(errno.ENOSPC, "No space left on device", str(self.root / "tmp" / "x.part"))
        return real_put(self, stream, **kw)

    monkeypatch.setattr(FilesystemObjectStore, "put", put)
    out = cli("ingest", str(folder), "--json", "--workers", "1")
    assert out.exit_code == 3, out.output
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert lines[-1]["outcome"] == "stopped" and lines[-1]["code"] == "disk_full"
    assert "Hết dung lượng đĩa" in lines[-1]["message_vi"]
    assert all(row["outcome"] != "rejected" for row in lines[:-1])
    assert lines[-1]["done"] + lines[-1]["not_started"] == 6
    assert not list((data_dir / "quarantine").glob("*/*/reason.json"))  # the files are not at fault
    assert "Traceback" not in out.output

    monkeypatch.setattr(FilesystemObjectStore, "put", real_put)  # space freed
    again = cli("ingest", str(folder), "--json")
    assert again.exit_code == 0, again.output
    outcomes = [json.loads(line)["outcome"] for line in again.stdout.splitlines() if line.startswith("{")]
    assert len(outcomes) == 6 and "rejected" not in outcomes


@pytest.fixture
def tiny_disk(tmp_path):
    """A 6 MiB tmpfs, mounted for the test (root only)."""
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:8]}"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_real_full_disk_stops_the_cli_cleanly_and_a_rerun_completes(tmp_path, tiny_disk):
    folder = _folder(tmp_path, 8, pad=MiB)  # ~8 MiB of originals for a 6 MiB disk (catalogue, index too)
    env = account({"LUUTRU_DATA_DIR": str(tiny_disk / "data")})
    full = run_cli(env, "ingest", str(folder), "--json", "--workers", "1")
    assert full.returncode == 3, full.stdout + full.stderr
    assert "Traceback" not in full.stderr, full.stderr[-3000:]
    last = json.loads(full.stdout.splitlines()[-1])
    assert last["outcome"] == "stopped" and last["code"] == "disk_full"
    archived = [json.loads(line) for line in full.stdout.splitlines()[:-1]]
    assert all(r["outcome"] == "ingested" for r in archived)

    subprocess.run(["mount", "-o", "remount,size=64m", str(tiny_disk)], check=True)  # space freed
    again = run_cli(env, "ingest", str(folder), "--json")
    assert again.returncode == 0, again.stdout + again.stderr
    rows = [json.loads(line) for line in again.stdout.splitlines()]
    assert sorted(r["outcome"] for r in rows) == sorted(["duplicate"] * len(archived)
                                                        + ["ingested"] * (8 - len(archived)))
    status = json.loads(run_cli(env, "status", "--json").stdout)
    assert status["counts"]["records"] == 8
