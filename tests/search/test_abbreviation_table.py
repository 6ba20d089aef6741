"""An index records the abbreviation table it was analysed with: after the table changes, the
spelt-out forms are matched at query time (nothing is missed) until ``reindex`` analyses again."""

from __future__ import annotations

import json

from search.analysis import DATA, Abbreviations
from search.compile import Compiler
from search.document import IndexDocument
from search.embedded import VERSION_FILE, EmbeddedSearchBackend
from search.query import Principal, SearchQuery

EVERYONE = Principal(unrestricted=True)
DOC = IndexDocument("skhcn-1", title="Kế hoạch chuyển đổi số", body="Sở Khoa học và Công nghệ chủ trì triển khai.",
                    access_level="public")


def table(tmp_path, extra: dict) -> Abbreviations:
    raw = json.loads((DATA / "abbreviations.json").read_text(encoding="utf-8"))
    raw.update(extra)
    path = tmp_path / f"abbr-{len(extra)}.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return Abbreviations.load(path)


def found(backend, q):
    return [h.record_id for h in backend.search(SearchQuery(q=q), EVERYONE).hits]


def test_a_changed_table_is_expanded_at_query_time_until_reindex(tmp_path):
    old, new = table(tmp_path, {}), table(tmp_path, {"SKHCN": ["Sở Khoa học và Công nghệ"]})
    with EmbeddedSearchBackend(tmp_path / "index", compiler=Compiler(old)) as b:
        b.index([DOC])
        assert found(b, "SKHCN") == []  # not an abbreviation of this table
    marker = json.loads((tmp_path / "index" / VERSION_FILE).read_text())
    assert marker["abbreviations"] == old.fingerprint != new.fingerprint

    with EmbeddedSearchBackend(tmp_path / "index", compiler=Compiler(new)) as b:
        assert b.compiler.indexed_abbreviations == frozenset()  # the index does not hold "skhcn"
        assert found(b, "SKHCN") == ["skhcn-1"]  # matched as "sở khoa học và công nghệ" at query time
        rebuild = b.begin_rebuild()
        rebuild.index([DOC])
        rebuild.checkpoint(DOC.record_id)
        rebuild.finish()
        assert b.compiler.indexed_abbreviations is None
        assert found(b, "SKHCN") == ["skhcn-1"]  # now one term: the index holds it
        assert found(b, "sở khoa học và công nghệ") == ["skhcn-1"]
    assert json.loads((tmp_path / "index" / VERSION_FILE).read_text())["abbreviations"] == new.fingerprint
    with EmbeddedSearchBackend(tmp_path / "index", compiler=Compiler(new)) as b:
        assert b.compiler.indexed_abbreviations is None
        doc = b.index_.searcher().search(b.translate(b.compiler.compile(SearchQuery(q="SKHCN"), EVERYONE).match), 5)
        assert len(doc.hits) == 1
