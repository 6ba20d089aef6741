"""The embedded index seen by two processes: a search sees what another process committed before it,
at once — not when Tantivy's watch thread next polls ``meta.json`` (about half a second later).

Regression (issue 13, defect 6, "the same for metadata changes and access-level changes"): a CLI
correction that made a record secret returned while ``luutru serve`` could still show it to an
official for up to ~0.5 s. Two backends on one folder stand for the two processes (each has its own
reader and watch thread, as each process has)."""

from __future__ import annotations

from search.document import IndexDocument
from search.embedded import EmbeddedSearchBackend
from search.query import Principal, SearchQuery

OFFICIAL = Principal(access_levels=frozenset({"public", "internal"}), name="canbo")


def _doc(rid: str, level: str, title: str) -> IndexDocument:
    return IndexDocument(record_id=rid, title=title, type_name="Công văn", access_level=level)


def _found(backend, q: str) -> set[str]:
    return {h.record_id for h in backend.search(SearchQuery(q=q, size=20), OFFICIAL).hits}


def test_a_commit_of_another_process_is_seen_by_the_next_search(tmp_path):
    server = EmbeddedSearchBackend(tmp_path / "index", writer_wait=10)
    cli = EmbeddedSearchBackend(tmp_path / "index", writer_wait=10)
    try:
        server.index([_doc(f"r{n}", "internal", f"Về việc dự án Ngọc Trai số {n}") for n in range(5)])
        assert _found(server, "Ngọc Trai") == {f"r{n}" for n in range(5)}
        for n in range(5):  # a correction each: a new trích yếu, then a record made secret
            cli.index([_doc(f"r{n}", "internal", f"Về việc nghiệm thu dự án Phù Sa số {n}")])
            assert f"r{n}" in _found(server, "Phù Sa") and f"r{n}" not in _found(server, "Ngọc Trai")
            cli.delete([f"r{n}"])
            cli.index([_doc(f"r{n}", "secret", f"Về việc nghiệm thu dự án Phù Sa số {n}")])
            assert f"r{n}" not in _found(server, "Phù Sa")
    finally:
        cli.close()
        server.close()
