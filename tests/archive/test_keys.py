"""The archive's signing identity (``archive.keys``): created once, 0600 keys, and two processes
creating it at the same moment end with one identity (the first minutes of a fresh archive may be
issued by two processes at once)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap

import pytest

from archive.keys import FILES, ensure_archive_identity

CHILD = textwrap.dedent("""
    import sys
    from archive.keys import ensure_archive_identity
    identity = ensure_archive_identity(sys.argv[1])
    print(identity.signing_cert.read_text().splitlines()[1])
""")


def test_two_processes_creating_the_identity_at_once_share_one(tmp_path):
    keys = tmp_path / "keys"
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, str(keys)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(3)]
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [e for _, e in outs]
    assert len({o for o, _ in outs}) == 1  # the same certificate for all three
    assert sorted(p.name for p in keys.iterdir()) == sorted(FILES)  # no lock left behind
    for name in FILES:
        if name.endswith(".key"):
            assert stat.S_IMODE(os.stat(keys / name).st_mode) == 0o600


def test_an_incomplete_identity_is_never_overwritten(tmp_path):
    keys = tmp_path / "keys"
    first = ensure_archive_identity(keys)
    before = first.signing_key.read_bytes()
    assert ensure_archive_identity(keys).signing_key.read_bytes() == before  # idempotent
    (keys / "signing.crt").unlink()
    with pytest.raises(FileExistsError):
        ensure_archive_identity(keys)
    assert first.signing_key.read_bytes() == before
