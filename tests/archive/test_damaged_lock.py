"""A filesystem store's retention lock damaged on disk (a flipped byte, a truncated write, a hand
edit) fails closed: the object is still served and verified, it counts as held, nothing deletes it,
and changing its retention is refused with a clear message — never a JSONDecodeError in a backup,
a repair pass or a download, and never an object that silently lost its lock."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.errors import ObjectLocked
from archive.objects.filesystem import FilesystemObjectStore

DAMAGED = [b"", b"{", b"[]", b"null", b"\xff\xfe\x00", b'{"retain_until": "2200-01-01T00:00:00"}',
           b'{"retain_until": "mai"}', b'{"retain_until": 2200}', b'{"retain_until": "2200-01-01T00:00:00+00:00"']


def _store_with_lock(tmp_path, content: bytes):
    store = FilesystemObjectStore(tmp_path / "objects")
    stored = store.put(io.BytesIO("Quyết định số 12/QĐ-UBND".encode()), retain_until=datetime(2200, 1, 1, tzinfo=UTC))
    store._lock_path(stored.key).write_bytes(content)
    return store, stored.key


@pytest.mark.parametrize("content", DAMAGED)
def test_a_damaged_lock_holds_the_object(tmp_path, content):
    store, key = _store_with_lock(tmp_path, content)
    info = store.stat(key)
    assert info.lock_unreadable and info.legal_hold
    assert b"".join(store.open(key, verify=True).chunks()) == "Quyết định số 12/QĐ-UBND".encode()
    for change in (lambda: store.delete(key), lambda: store.set_legal_hold(key, False),
                   lambda: store.set_retention(key, datetime(2300, 1, 1, tzinfo=UTC))):
        with pytest.raises(ObjectLocked) as refused:
            change()
        assert "unreadable" in str(refused.value) and "khóa lưu giữ" in refused.value.message_vi
    assert store.exists(key) and store._lock_path(key).read_bytes() == content  # nothing rewritten


def test_a_damaged_lock_of_a_named_object_refuses_its_deletion(tmp_path):
    store = FilesystemObjectStore(tmp_path / "objects")
    name = "audit/anchors/00000001.json"
    store.put_named(name, b"{}", retain_until=datetime(2200, 1, 1, tzinfo=UTC))
    store._named_path(name).with_name("00000001.json.lock").write_bytes(b'{"retain_until": ')
    with pytest.raises(ObjectLocked):
        store.delete_named(name)
    assert store.get_named(name) == b"{}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.one_of(st.binary(max_size=80),
                         st.dictionaries(st.sampled_from(["retain_until", "legal_hold", "x"]),
                                         st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30),
                                                   st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat)),
                                         max_size=3).map(lambda d: __import__("json").dumps(d).encode())))
def test_any_lock_content_either_reads_or_holds(tmp_path_factory, content):
    """Whatever the lock file holds, ``stat`` answers (no crash), and the object is deleted only when
    the lock reads as neither held nor retained in the future."""
    store, key = _store_with_lock(tmp_path_factory.mktemp("lock"), content)
    info = store.stat(key)
    free = not info.legal_hold and (info.retain_until is None or info.retain_until <= datetime.now(UTC))
    try:
        store.delete(key)
        deleted = True
    except ObjectLocked:
        deleted = False
    assert deleted == free
    if info.lock_unreadable:
        assert info.legal_hold and not deleted


def test_the_repair_pass_keeps_an_orphan_whose_lock_is_damaged(tmp_path, catalogue):
    """An unreferenced object (an orphan) past its grace period whose lock is damaged is kept and
    reported, not deleted, and the pass does not crash."""
    from archive.service import ArchiveService

    store = FilesystemObjectStore(tmp_path / "objects")
    stored = store.put(io.BytesIO(b"orphan"))
    store._lock_path(stored.key).write_bytes(b"\x00garbage")
    service = ArchiveService(catalogue, store, orphan_grace=timedelta(0))
    report = service.repair(actor="test")
    assert stored.key in report.orphans_kept and store.exists(stored.key)
