"""The SearchBackend protocol and its result types.

Contract (tested once for every implementation in ``tests/contract/test_search_backend.py``):

* ``index`` adds or replaces documents by ``record_id``; ``delete`` removes them; both are
  idempotent. Changes are visible to ``search`` after ``refresh()`` (the embedded backend
  refreshes on every write; OpenSearch refreshes periodically).
* ``search(query, principal)`` translates the shared ``SearchQuery`` and applies the principal's
  rule *inside* the engine query: hits, ``total``, facet counts, the histogram, snippets,
  ``more_like_this`` and ``search_after`` paging only ever see readable records.
* Paging is by ``search_after``: pass ``page.next_after`` back as ``SearchQuery.search_after``.
  Order is (sort key, record id), so on an unchanged index no hit repeats and none is skipped.
* ``begin_rebuild`` starts (or resumes) a full rebuild: the embedded backend rewrites in place and
  keeps a checkpoint file in its folder; OpenSearch fills a new versioned index and switches
  the alias atomically on ``finish``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, runtime_checkable

from search.document import IndexDocument
from search.query import Principal, SearchQuery


@dataclass(frozen=True)
class SearchHit:
    record_id: str
    score: float
    so_ky_hieu: str | None
    title: str | None
    date: date | None
    snippet: str | None = None
    """A fragment of the text with the matched words in ``<b>…</b>`` (HTML-escaped otherwise)."""
    type_name: str | None = None
    organ_name: str | None = None
    signer_name: str | None = None
    access_level: str | None = None
    dossier_id: str | None = None
    fonds_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "score": round(self.score, 4), "so_ky_hieu": self.so_ky_hieu,
                "title": self.title, "date": self.date.isoformat() if self.date else None,
                "snippet": self.snippet, "type_name": self.type_name, "organ_name": self.organ_name,
                "signer_name": self.signer_name}


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int


@dataclass(frozen=True)
class SearchPage:
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    histogram: list[FacetValue] = field(default_factory=list)
    """(``2021`` or ``2021-03``, count), in date order."""
    next_after: tuple | None = None
    """Give back as ``SearchQuery.search_after`` for the next page; None on the last page."""

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "hits": [h.as_dict() for h in self.hits],
                "facets": {k: {v.value: v.count for v in vs} for k, vs in self.facets.items()},
                "histogram": {v.value: v.count for v in self.histogram},
                "next_after": list(self.next_after) if self.next_after is not None else None}


@runtime_checkable
class Rebuild(Protocol):
    """A full rebuild in progress (``SearchBackend.begin_rebuild``)."""

    resume_after: str | None
    """Record id of the last checkpoint (rows are fed in record-id order); None: from the start."""

    def index(self, docs: Sequence[IndexDocument]) -> None: ...

    def checkpoint(self, last_record_id: str) -> None: ...

    def finish(self) -> None: ...


@runtime_checkable
class SearchBackend(Protocol):
    name: str

    def index(self, docs: Sequence[IndexDocument]) -> None: ...

    def delete(self, record_ids: Sequence[str]) -> None: ...

    def refresh(self) -> None: ...

    def search(self, query: SearchQuery, principal: Principal) -> SearchPage: ...

    def more_like_this(self, record_id: str, principal: Principal, *, size: int = 10) -> SearchPage:
        """Records like ``record_id`` (itself excluded), readable by ``principal``. Empty when the
        principal may not read ``record_id`` itself — its words must not leak either."""
        ...

    def iter_ids(self) -> Iterator[str]:
        """Every indexed record id, in ascending order (for ``luutru reindex --check``)."""
        ...

    def begin_rebuild(self) -> Rebuild: ...

    def count(self) -> int:
        """How many records the index holds (compared with the catalogue by the health check: an
        index folder deleted or emptied behind the archive's back must not look healthy)."""
        ...

    def health(self) -> str: ...

    def close(self) -> None: ...
