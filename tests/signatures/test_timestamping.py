"""Archive timestamps (``archive.timestamping``): the archive's own TSA, token verification, and
renewal chains that never break."""

from __future__ import annotations

import hashlib
import io
import stat
from datetime import UTC, datetime, timedelta

from archive.domain import RecordMetadata
from archive.timestamping import (
    ArchiveTsaFiles,
    LocalTimeStamper,
    chain_imprint,
    ensure_archive_tsa,
    load_chain,
    renew_timestamps,
    rotate_archive_tsa,
    run_at_once,
    verify_chain,
    verify_token,
)


def test_archive_tsa_is_created_once_with_private_keys(tmp_path):
    """GIVEN an empty keys folder WHEN the TSA is ensured twice THEN one root + TSA pair, keys 0600,
    the TSA certificate carries the critical timeStamping EKU."""
    files = ensure_archive_tsa(tmp_path, organisation="UBND Thử Nghiệm")
    first = (files.folder / "tsa.pem").read_bytes()
    ensure_archive_tsa(tmp_path)
    assert (files.folder / "tsa.pem").read_bytes() == first
    for key in ("root.key", "tsa.key"):
        assert stat.S_IMODE((files.folder / key).stat().st_mode) == 0o600
    cert = files.tsa_cert()
    assert cert.extended_key_usage_value.native == ["time_stamping"]
    assert "extended_key_usage" in cert.critical_extensions


def test_token_verifies_and_detects_other_bytes(tmp_path):
    files = ensure_archive_tsa(tmp_path)
    digest = hashlib.sha256(b"ban goc").digest()
    token = LocalTimeStamper.from_dir(tmp_path).timestamp(digest)
    ok = verify_token(token, digest, trust_roots=[files.root_cert()])
    assert ok.ok and ok.trusted and ok.imprint_matches and ok.hash_algorithm == "sha256"
    other = verify_token(token, hashlib.sha256(b"khac").digest(), trust_roots=[files.root_cert()])
    assert not other.ok and other.problem.startswith("the token covers other bytes")
    untrusted = verify_token(token, digest, trust_roots=[])
    assert not untrusted.ok and untrusted.trusted is False
    broken = bytearray(token)
    broken[-10] ^= 0xFF  # inside the signature value
    assert not verify_token(bytes(broken), digest).ok


def test_a_local_token_is_made_without_an_event_loop_and_one_that_waits_still_runs(tmp_path, monkeypatch):
    """GIVEN the local TSA (it signs in memory, its coroutine never waits) WHEN a token is made —
    also from inside a running event loop, as ``luutru serve``'s start-up repair does THEN no event
    loop is built for it and the token verifies; a coroutine that does wait is run again under a
    loop and gives its result."""
    import asyncio

    files = ensure_archive_tsa(tmp_path)
    stamper = LocalTimeStamper.from_dir(tmp_path)
    digest = hashlib.sha256(b"ban goc").digest()

    async def waits() -> str:
        await asyncio.sleep(0)
        return "xong"

    async def inside_a_loop() -> bytes:
        return stamper.timestamp(digest)

    assert run_at_once(waits) == "xong"
    from_loop = asyncio.run(inside_a_loop())
    with monkeypatch.context() as m:
        m.setattr(asyncio, "run", lambda *a, **k: (_ for _ in ()).throw(AssertionError("a loop was built")))
        token = stamper.timestamp(digest)
    for t in (token, from_loop):
        assert verify_token(t, digest, trust_roots=[files.root_cert()]).ok


def test_renewal_chains_over_the_old_token(tmp_path, archive_service):
    """GIVEN a record whose archive TSA certificate ends within the horizon WHEN renewal runs
    THEN the TSA is rotated, a new token covers the old token plus the original, the chain
    verifies, and a second run changes nothing."""
    keys = tmp_path / "keys"
    now = datetime.now(UTC)
    ensure_archive_tsa(keys, now=now - timedelta(days=365 * 9), tsa_years=10)  # ends in about a year
    created = archive_service.create_record(io.BytesIO(b"%PDF-1.7 ban goc"), filename="a.pdf",
                                            metadata=RecordMetadata(subject="Thử"), actor="test")
    first = renew_timestamps(archive_service, LocalTimeStamper.from_dir(keys), horizon_days=730)
    assert first.created == [created.record_id] and not first.failed
    assert rotate_archive_tsa(keys, horizon=timedelta(days=730)) is True
    second = renew_timestamps(archive_service, LocalTimeStamper.from_dir(keys), horizon_days=730)
    assert second.renewed == [created.record_id]
    assert renew_timestamps(archive_service, LocalTimeStamper.from_dir(keys), horizon_days=730).renewed == []
    original, chain = load_chain(archive_service, created.record_id)
    tokens = [t for _, t in chain]
    assert len(tokens) == 2
    root = ArchiveTsaFiles(keys / "tsa").root_cert()
    assert verify_token(tokens[1], chain_imprint(tokens[0], bytes.fromhex(original)), trust_roots=[root]).ok
    report = verify_chain(tokens, original, trust_roots=[root])
    assert report.ok and not report.renewal_due
    # ten years on, without renewal, the chain has lapsed
    assert not verify_chain(tokens, original, trust_roots=[root], at=now + timedelta(days=365 * 11)).ok
    record = archive_service.get_record(created.record_id, actor="test")
    assert [e["type"] for e in record["events"]].count("timestamp renewal") == 1


def test_the_archive_tsa_files_are_never_read_half_written(tmp_path):
    """GIVEN a reader that polls the TSA folder the way a request does (``archive_roots_for``) WHEN
    the periodic loop creates the TSA (CI: an upload read ``root.pem`` empty and failed) THEN every
    file the reader finds parses, and the keys stay 0600 after a rotation."""
    import threading

    from asn1crypto import pem, x509

    folder, broken, done = tmp_path / "tsa", [], threading.Event()

    def read() -> None:
        while not done.is_set():
            for name in ("root.pem", "tsa.pem"):
                path = folder / name
                if path.is_file():
                    data = path.read_bytes()
                    try:
                        assert x509.Certificate.load(pem.unarmor(data)[2]).native["tbs_certificate"]
                    except Exception as exc:  # noqa: BLE001 - any failure to parse is the finding
                        broken.append((name, len(data), exc))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        files = ensure_archive_tsa(tmp_path, now=datetime.now(UTC) - timedelta(days=365 * 9), tsa_years=10)
        assert rotate_archive_tsa(tmp_path, horizon=timedelta(days=730)) is True
    finally:
        done.set()
        reader.join()
    assert broken == []
    for key in folder.glob("*.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key.name
    assert files.tsa_cert().not_valid_after > datetime.now(UTC) + timedelta(days=365 * 5)
    assert len(list(folder.glob("tsa-*.pem"))) == 1 and not list(folder.glob("*.tmp"))


def test_a_timestamper_read_during_a_rotation_signs_with_a_matching_pair(tmp_path):
    """GIVEN a rotation caught between its two files (the new key in place, the old certificate
    still there for a moment) WHEN the timestamper is read THEN it waits for the matching
    certificate, and its token verifies — never the new key under the old certificate."""
    import os
    import shutil
    import threading
    import time

    files = ensure_archive_tsa(tmp_path, now=datetime.now(UTC) - timedelta(days=365 * 9), tsa_years=10)
    rotated = tmp_path / "rotated"
    shutil.copytree(tmp_path / "tsa", rotated / "tsa")
    assert rotate_archive_tsa(rotated, horizon=timedelta(days=730)) is True
    (files.folder / "tsa.key").unlink()
    shutil.copy(rotated / "tsa" / "tsa.key", files.folder / "tsa.key")  # the key replaced, not yet the cert
    def finish() -> None:  # the rotation's second file, replaced whole as rotate_archive_tsa does
        shutil.copy(rotated / "tsa" / "tsa.pem", files.folder / "tsa.pem.new")
        os.replace(files.folder / "tsa.pem.new", files.folder / "tsa.pem")

    finishing = threading.Timer(0.3, finish)
    finishing.start()
    try:
        started = time.monotonic()
        stamper = LocalTimeStamper.from_dir(tmp_path)
        assert time.monotonic() - started >= 0.2  # it waited for the pair
    finally:
        finishing.join()
    digest = hashlib.sha256(b"ban goc").digest()
    assert verify_token(stamper.timestamp(digest), digest, trust_roots=[files.root_cert()]).ok
