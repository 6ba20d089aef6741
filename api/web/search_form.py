"""The state of the search page in its URL: parsing the query string and building links.

``/search?q=quyet+dinh&type=Quyết+định&agency=UBND+tỉnh&year=2024&sort=date_desc&after=…`` — every
choice is in the query string, so a search is a bookmark, a link to share, and Back/Forward move
between searches. Several values of one facet combine with OR, facets with AND (the backend's
filters). ``parse`` never fails: a value that cannot be meant (an unknown sort, a year of 99999, an
empty or over-long value, a control character) is dropped and named in ``dropped`` so the page can
say so; ``SearchForm.query_string`` gives back a string that ``parse`` reads as the same form.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from api.web.numbers import int_in
from archive.access import ACCESS_LEVELS

MULTI = ("type", "agency", "signer", "access_level", "dossier", "fonds", "signature_status")
"""Facets whose values are chosen several at once (URL parameter = API filter name)."""
FACETS = ("type", "agency", "signer", "year", "access_level", "signature_status", "dossier")
"""Facets shown on the page, in order (the API's facet names)."""
SORTS = ("relevance", "date_desc", "date_asc")
ENUMS = {"access_level": ACCESS_LEVELS,
         "signature_status": ("valid", "invalid", "indeterminate", "unsigned")}
MAX_VALUES = 20
MAX_VALUE_LENGTH = 300
MAX_Q = 1000
MAX_AFTER = 2000


def _clean(value: str, limit: int) -> str | None:
    value = unicodedata.normalize("NFC", value).strip()
    if not value or len(value) > limit:
        return None
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in value):
        return None
    return value


@dataclass(frozen=True)
class SearchForm:
    q: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    year: int | None = None
    sort: str = "relevance"
    after: str | None = None
    page: int = 1
    dropped: tuple[str, ...] = field(default=(), compare=False)

    def selected(self, name: str, value: str) -> bool:
        if name == "year":
            return self.year is not None and str(self.year) == str(value)
        return str(value) in self.filters.get(name, ())

    @property
    def active(self) -> bool:
        return bool(self.q or self.filters or self.year is not None)

    def pairs(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = [("q", self.q)] if self.q else []
        for name in MULTI:
            out += [(name, v) for v in self.filters.get(name, ())]
        if self.year is not None:
            out.append(("year", str(self.year)))
        if self.sort != "relevance":
            out.append(("sort", self.sort))
        if self.after:
            out += [("after", self.after), ("page", str(self.page))]
        return out

    def query_string(self) -> str:
        return urlencode(self.pairs())

    def url(self) -> str:
        qs = self.query_string()
        return "/search" + (f"?{qs}" if qs else "")

    def toggled(self, name: str, value: str) -> SearchForm:
        """The form with one facet value added or removed, back on the first page."""
        if name == "year":
            year = None if self.selected("year", value) else int(value)
            return replace(self, year=year, after=None, page=1)
        values = self.filters.get(name, ())
        values = tuple(v for v in values if v != value) if value in values else (*values, value)
        filters = {k: v for k, v in {**self.filters, name: values}.items() if v}
        return replace(self, filters=filters, after=None, page=1)

    def sorted_by(self, sort: str) -> SearchForm:
        return replace(self, sort=sort, after=None, page=1)

    def next_page(self, after: str) -> SearchForm:
        return replace(self, after=after, page=self.page + 1)

    def api_params(self, *, size: int) -> dict:
        """The parameters of ``POST /api/v1/search`` (``api.http.routes.search._search``) for this form."""
        params: dict = {"q": self.q, "facets": list(FACETS), "sort": self.sort, "size": size,
                        "search_after": self.after, "highlight": True}
        for name in MULTI:
            params[name] = list(self.filters.get(name, ())) or None
        if self.year is not None:
            params["year_from"] = params["year_to"] = self.year
        return params


def parse(items) -> SearchForm:
    """A form from the query string's (name, value) pairs (``request.query_params.multi_items()``)."""
    q, year, sort, after, page = "", None, "relevance", None, 1
    filters: dict[str, list[str]] = {}
    dropped: list[str] = []
    for name, raw in items:
        if not isinstance(raw, str):
            continue
        if name == "q":
            value = _clean(raw, MAX_Q)
            if value is None and raw.strip():
                dropped.append("q")
            q = value or q
        elif name in MULTI:
            value = _clean(raw, MAX_VALUE_LENGTH)
            if value is None or (name in ENUMS and value not in ENUMS[name]):
                if raw.strip():
                    dropped.append(name)
                continue
            values = filters.setdefault(name, [])
            if value not in values:
                if len(values) >= MAX_VALUES:
                    dropped.append(name)
                    continue
                values.append(value)
        elif name == "year":
            year_value = raw.strip()
            if (number := int_in(year_value, 1, 9999)) is not None:
                year = number
            elif year_value:
                dropped.append("year")
        elif name == "sort":
            if raw in SORTS:
                sort = raw
            elif raw:
                dropped.append("sort")
        elif name == "after":
            value = raw.strip()
            if value and len(value) <= MAX_AFTER and all(c.isascii() and (c.isalnum() or c in "-_") for c in value):
                after = value
            elif value:
                dropped.append("after")
        elif name == "page":
            value = raw.strip()
            page = int_in(value, 1, 100_000) or page
    if after is None:
        page = 1
    return SearchForm(q=q, filters={k: tuple(v) for k, v in filters.items() if v}, year=year, sort=sort,
                      after=after, page=page, dropped=tuple(dict.fromkeys(dropped)))
