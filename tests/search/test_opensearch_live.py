"""The OpenSearch mapping, index template and index lifecycle on a real cluster (``OPENSEARCH_URL``,
tests/servers/start): what the offline checks of test_opensearch_mapping.py cannot see — the
cluster accepts the mapping, analyses text into the same tokens as the embedded backend (the
queries are compiled once, in Python, for both), refuses unknown fields, and switches the alias
atomically on a rebuild. Required under CI=true, skipped elsewhere without a cluster."""

from __future__ import annotations

import string
import threading
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from services import opensearch_backend

from search.analysis import fold_tokens
from search.document import IndexDocument
from search.embedded import exact_analyzer
from search.opensearch import MAPPING_VERSION, OpenSearchBackend
from search.query import Principal, SearchQuery

pytestmark = pytest.mark.opensearch
EVERYONE = Principal(unrestricted=True)


def _backend(prefix: str) -> OpenSearchBackend:
    return opensearch_backend(prefix)


def _cleanup(backend: OpenSearchBackend) -> None:
    backend.drop()
    backend.client.indices.delete_index_template(name=backend.template()[0], ignore=[404])
    backend.close()


@pytest.fixture
def backend() -> Iterator[OpenSearchBackend]:
    b = _backend(f"live-{uuid.uuid4().hex[:8]}")
    yield b
    _cleanup(b)


@pytest.fixture(scope="module")
def analysed_index() -> Iterator[tuple[OpenSearchBackend, str]]:
    b = _backend(f"live-an-{uuid.uuid4().hex[:8]}")
    yield b, b._aliased()[0]
    _cleanup(b)


def _doc(rid: str, **kw) -> IndexDocument:
    kw.setdefault("access_level", "public")
    return IndexDocument(record_id=rid, **kw)


def _ids(backend, q: str) -> list[str]:
    return [h.record_id for h in backend.search(SearchQuery(q=q, size=50), EVERYONE).hits]


def test_the_index_is_made_from_the_mapping_file_and_the_template(backend):
    """GIVEN a new backend WHEN it created its index THEN the index behind the alias has the
    file's mapping (strict) and analysis, and the composable template of this version is there."""
    body = OpenSearchBackend._body()
    [index] = backend._aliased()
    assert index.startswith(f"{backend.prefix}-records-{MAPPING_VERSION}-")
    mapping = backend.client.indices.get_mapping(index=index)[index]["mappings"]
    assert mapping["dynamic"] == "strict"
    assert set(mapping["properties"]) == set(body["mappings"]["properties"])
    analysis = backend.client.indices.get_settings(index=index)[index]["settings"]["index"]["analysis"]
    assert analysis["tokenizer"]["vi_syllables"]["pattern"] == body["settings"]["analysis"]["tokenizer"][
        "vi_syllables"]["pattern"]
    name, template = backend.template()
    got = backend.client.indices.get_index_template(name=name)["index_templates"][0]["index_template"]
    assert got["index_patterns"] == template["index_patterns"]
    # an index made by anyone under the pattern gets the mapping (e.g. a reindex by hand)
    other = f"{backend.prefix}-records-{MAPPING_VERSION}-byhand"
    backend.client.indices.create(index=other)
    assert backend.client.indices.get_mapping(index=other)[other]["mappings"]["dynamic"] == "strict"


def test_a_field_outside_the_mapping_is_refused(backend):
    with pytest.raises(Exception, match=r"strict_dynamic_mapping_exception|mapping set to strict"):
        backend.client.index(index=backend.alias, id="x", body={"record_id": "x", "unknown_field": 1},
                             refresh=True)


_TEXT = st.text(alphabet=string.ascii_letters + string.digits + " .,;:-/_'%()" +
                "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
                "ĐÀÁẢÃẠĂÂÊÔƠƯỦỤỨ", max_size=60)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_TEXT)
def test_the_cluster_tokenises_text_as_the_embedded_backend(analysed_index, text):
    """GIVEN any text of Vietnamese letters, digits and punctuation WHEN the cluster analyses it for
    the match field THEN it yields ``analysis.fold_tokens`` — the terms the compiled query looks
    for (the standard tokenizer kept "1.000.000", "2,5" and "v.v" whole: never matched)."""
    backend, index = analysed_index
    got = backend.client.indices.analyze(index=index, body={"analyzer": "vi_folded", "text": text})
    assert [t["token"] for t in got["tokens"]] == fold_tokens(text)
    # all_exact: the text as written, tones kept — the same syllables as Tantivy's vi_exact
    got = backend.client.indices.analyze(index=index, body={"analyzer": "vi_exact", "text": text})
    assert [t["token"] for t in got["tokens"]] == exact_analyzer().analyze(text)


def test_numbers_and_abbreviations_with_punctuation_are_found(backend):
    backend.index([_doc("qd-phat", title="Quyết định xử phạt",
                        body="Mức phạt 1.000.000 đồng, giảm 2,5% so với năm trước; hồ sơ, tài liệu v.v. kèm theo.")])
    backend.refresh()
    for q in ("1.000.000 đồng", "2,5%", "v.v", '"1.000.000"', "1000000"):
        expected = [] if q == "1000000" else ["qd-phat"]
        assert _ids(backend, q) == expected, q


def test_a_rebuild_switches_the_alias_and_searches_go_on(backend):
    """GIVEN an index in use WHEN a rebuild fills a new index while searches run THEN the searches
    keep answering from the old one, the alias moves in one step, and the old index is deleted."""
    backend.index([_doc(f"r-{i:03d}", title=f"Báo cáo số {i}") for i in range(30)])
    backend.refresh()
    old = backend._aliased()
    rebuild = backend.begin_rebuild()
    assert rebuild.target not in old and rebuild.resume_after is None
    errors: list[Exception] = []
    counts: list[int] = []
    stop = threading.Event()

    def searching() -> None:
        while not stop.is_set():
            try:
                counts.append(backend.search(SearchQuery(q="báo cáo", size=1), EVERYONE).total)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    worker = threading.Thread(target=searching)
    worker.start()
    try:
        for start in range(0, 40, 10):
            rebuild.index([_doc(f"r-{i:03d}", title=f"Báo cáo số {i}") for i in range(start, start + 10)])
            rebuild.checkpoint(f"r-{start + 9:03d}")
        rebuild.finish()
        backend.refresh()
    finally:
        stop.set()
        worker.join()
    assert not errors and counts and set(counts) <= {30, 40}
    assert backend._aliased() == [rebuild.target]
    assert not backend.client.indices.exists(index=old[0])
    assert backend.search(SearchQuery(q="báo cáo"), EVERYONE).total == 40


def test_an_interrupted_rebuild_resumes_after_its_last_record(backend):
    rebuild = backend.begin_rebuild()
    rebuild.index([_doc("a-1", title="một"), _doc("a-2", title="hai")])
    again = _backend(backend.prefix).begin_rebuild()  # a new process finds the unfinished index
    assert (again.target, again.resume_after) == (rebuild.target, "a-2")
    again.index([_doc("a-3", title="ba")])
    again.finish()
    backend.refresh()
    assert sorted(backend.iter_ids()) == ["a-1", "a-2", "a-3"]


def test_an_older_mapping_behind_the_alias_asks_for_a_rebuild(backend):
    """GIVEN the alias on an index of an older mapping version WHEN the backend starts THEN it says
    a rebuild is needed; the rebuild moves the alias to an index of this version."""
    prefix = f"live-{uuid.uuid4().hex[:8]}"
    client = backend.client
    client.indices.create(index=f"{prefix}-records-v2-1", body={"mappings": {"properties": {
        "record_id": {"type": "keyword"}}}})
    client.indices.put_alias(index=f"{prefix}-records-v2-1", name=f"{prefix}-records")
    old = _backend(prefix)
    try:
        assert old.rebuild_needed
        rebuild = old.begin_rebuild()
        rebuild.index([_doc("v3-1", title="Văn bản mới")])
        rebuild.finish()
        old.refresh()
        assert not old.rebuild_needed and old._aliased() == [rebuild.target]
        assert _ids(old, "văn bản mới") == ["v3-1"]
    finally:
        _cleanup(old)


def test_number_of_replicas_follows_the_setting_on_new_and_live_indices():
    """GIVEN ``search.opensearch_replicas`` 0 (the single-node compose) WHEN a backend creates its
    index THEN the index and the template have no replica and the index is green on one node; GIVEN
    an index created with the mapping's 1 replica WHEN a backend with 0 starts on it THEN the live
    index is changed to 0, and a rebuild's new index gets 0 as well."""
    prefix = f"live-rep-{uuid.uuid4().hex[:8]}"
    first = _backend(prefix)  # the mapping file's default: 1 replica
    try:
        [index] = first._aliased()
        get = first.client.indices.get_settings
        assert get(index=index)[index]["settings"]["index"]["number_of_replicas"] == "1"
        single = OpenSearchBackend(_url(), index_prefix=prefix,
                                   client=first.client, replicas=0)
        assert get(index=index)[index]["settings"]["index"]["number_of_replicas"] == "0"
        health = first.client.cluster.health(index=index, wait_for_status="green", request_timeout=40)
        assert health["status"] == "green"
        assert single.template()[1]["template"]["settings"]["index"]["number_of_replicas"] == 0
        target, _ = single._rebuild_target()
        assert get(index=target)[target]["settings"]["index"]["number_of_replicas"] == "0"
    finally:
        _cleanup(first)


def _url() -> str:
    import os

    return os.environ["OPENSEARCH_URL"]
