"""Document frequencies of the match field (``all``), cached for one generation of an index.

A long query leaves its commonest words out of its match (``compile.Compiler.words``, issue 17): a
word held by most documents weighs next to nothing in BM25, yet a disjunction that holds it reads
its whole posting list. Which words are common is the index's own answer — its document frequencies,
not a list of stopwords — asked of each backend (``EmbeddedSearchBackend.doc_freqs``: Tantivy's
``Searcher.doc_freq``; ``OpenSearchBackend.doc_freqs``: the term statistics of ``_termvectors``)
through one ``FrequencyCache``, so that a word is looked up once per generation of the index.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping, Sequence

DocFreqs = Callable[[Sequence[str]], tuple[int, Mapping[str, int]]]
"""``terms`` → (documents in the index, documents holding each term of ``all``; absent: 0)."""

MAX_TERMS = 50_000
"""Terms kept per generation; past it the cache starts again (a few MB at most)."""


class FrequencyCache:
    """Document frequencies by term for the current *generation* of an index (any hashable value
    that changes when what the searcher sees may have changed: a commit, a reload); a new
    generation empties it. Safe to share between threads: a lookup racing a new generation returns
    what it fetched without storing it."""

    def __init__(self, max_terms: int = MAX_TERMS):
        self.max_terms = max_terms
        self._lock = threading.Lock()
        self._generation: Hashable = object()
        self._docs: int | None = None
        self._df: dict[str, int] = {}

    def lookup(self, generation: Hashable, terms: Sequence[str],
               fetch: Callable[[list[str]], tuple[int, Mapping[str, int]]]) -> tuple[int, dict[str, int]]:
        """(documents, frequency of each of ``terms``); ``fetch`` is asked only for the terms not
        yet known in this generation (and, when there are none yet, for the number of documents)."""
        wanted = list(dict.fromkeys(terms))
        with self._lock:
            if generation != self._generation:
                self._generation, self._docs, self._df = generation, None, {}
            known = {t: self._df[t] for t in wanted if t in self._df}
            docs = self._docs
        missing = [t for t in wanted if t not in known]
        if missing or docs is None:
            docs, found = fetch(missing)
            got = {t: int(found.get(t, 0)) for t in missing}
            known.update(got)
            with self._lock:
                if generation == self._generation:
                    if len(self._df) + len(got) > self.max_terms:
                        self._df = {}
                    self._df.update(got)
                    self._docs = docs
        return docs, {t: known[t] for t in wanted}
