"""Full-text search in Vietnamese: the SearchBackend protocol, the shared query model and the
backends (``search.embedded``, ``search.opensearch``), and the RecordIndexer that keeps the index
in step with the catalogue."""

from search.backend import FacetValue, Rebuild, SearchBackend, SearchHit, SearchPage
from search.document import IndexDocument
from search.query import Principal, SearchQuery

__all__ = ["FacetValue", "IndexDocument", "Principal", "Rebuild", "SearchBackend", "SearchHit", "SearchPage",
           "SearchQuery"]
