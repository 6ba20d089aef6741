"""RecordIndexer through ArchiveService: records become searchable after commit, disposal removes
them, reindex resumes from its checkpoint, check finds drift."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest

from archive.catalogue import Catalogue, Record
from archive.domain import RecordMetadata
from archive.objects.filesystem import FilesystemObjectStore
from archive.ports import Indexer
from archive.service import ArchiveService, NewComponent
from search.embedded import CHECKPOINT, EmbeddedSearchBackend
from search.indexer import RecordIndexer
from search.query import Principal, SearchQuery

ADMIN = Principal.admin()


@pytest.fixture
def setup(tmp_path):
    cat = Catalogue(f"sqlite:///{tmp_path / 'catalogue.db'}")
    cat.migrate()
    store = FilesystemObjectStore(tmp_path / "objects")
    backend = EmbeddedSearchBackend(tmp_path / "index")
    indexer = RecordIndexer(cat, store, backend)
    archive = ArchiveService(cat, store, indexer=indexer, orphan_grace=timedelta(0))
    yield archive, indexer, backend, cat
    backend.close()
    cat.dispose()


def add(archive, n: int, text: str, **meta):
    meta.setdefault("type_name", "Công văn")
    return archive.create_record(
        io.BytesIO(f"original {n} {text}".encode()), filename=f"{n}.pdf", actor="test",
        media_type="application/pdf",
        metadata=RecordMetadata(code_number=str(n), code_notation="UBND-VP", issued_date=date(2020 + n % 5, 1, 2),
                                access_level="public", **meta),
        derivatives=[NewComponent(io.BytesIO(text.encode()), "text", "text/plain; charset=utf-8", "text.txt")],
    ).record_id


def test_records_are_searchable_after_commit(setup):
    """GIVEN a record with a text component WHEN it is created THEN its text and số ký hiệu are found."""
    archive, indexer, backend, _ = setup
    assert isinstance(indexer, Indexer)
    rid = add(archive, 9545, "Đề nghị chỉnh lý tài liệu lưu trữ tồn đọng", subject="Về việc chỉnh lý tài liệu",
              organ_name="UBND quận Hoàn Kiếm")
    page = backend.search(SearchQuery(q="chinh ly ton dong"), ADMIN)
    assert [h.record_id for h in page.hits] == [rid]
    assert backend.search(SearchQuery(q="9545/UBND-VP"), ADMIN).hits[0].so_ky_hieu == "9545/UBND-VP"
    assert backend.search(SearchQuery(q="", agencies=("ubnd quan hoan kiem",)), ADMIN).total == 1


def test_disposed_records_leave_the_index(setup):
    archive, indexer, backend, cat = setup
    rid = add(archive, 1, "Báo cáo tổng kết")
    with cat.session() as s:
        s.get(Record, rid).status = "disposed"
    indexer.index([rid])
    assert backend.search(SearchQuery(q="tong ket"), ADMIN).total == 0
    indexer.delete([rid])  # idempotent


def test_reindex_resumes_and_check_finds_drift(setup):
    """GIVEN an interrupted reindex WHEN run again THEN it resumes after the checkpoint, and check is clean."""
    archive, indexer, backend, _cat = setup
    ids = sorted(add(archive, n, f"văn bản số {n} về lưu trữ") for n in range(7))
    backend.delete(ids[:4])
    report = indexer.check()
    assert sorted(report.missing) == ids[:4] and report.extra == [] and not report.clean

    calls = {"n": 0}
    original = backend._add  # what the rebuild writes with; it commits every 2 documents here
    backend.rebuild_commit_every = 2

    def failing(writer, docs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("power cut")
        original(writer, docs)

    backend._add = failing
    with pytest.raises(RuntimeError):
        indexer.reindex(batch_size=2)
    backend._add = original
    assert (backend.path / CHECKPOINT).exists()
    done = indexer.reindex(batch_size=2)
    assert done.resumed_after == ids[3] and done.indexed == 3
    assert indexer.check().clean and not (backend.path / CHECKPOINT).exists()


def test_reindex_removes_extra_documents(setup):
    from search.document import IndexDocument

    archive, indexer, backend, _ = setup
    add(archive, 1, "nội dung")
    backend.index([IndexDocument("zzz-stale", title="cũ")])
    assert indexer.check().extra == ["zzz-stale"]
    assert indexer.reindex().removed == 1
    assert indexer.check().clean
