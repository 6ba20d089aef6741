"""The search parameters every entry point accepts (CLI ``--batch`` lines, ``GET``/``POST
/api/v1/search``), mapped onto the one query model ``search.query.SearchQuery``, and the result
as plain data.

Keys are the CLI's names (``type``, ``agency``, ``signer``, ``from``, ``to``, ``dossier``,
``fonds``…) or the model's own (``types``, ``date_from``…). A ``search_after`` given as a string
is the opaque token of ``encode_after`` (base64url JSON), so an HTTP client never has to know the
sort key's shape.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date
from typing import Any

FILTER_KEYS = {"type": "types", "types": "types", "agency": "agencies", "agencies": "agencies",
               "signer": "signers", "signers": "signers", "from": "date_from", "date_from": "date_from",
               "to": "date_to", "date_to": "date_to", "year_from": "year_from", "year_to": "year_to",
               "dossier": "dossier_ids", "dossier_ids": "dossier_ids", "fonds": "fonds_ids",
               "fonds_ids": "fonds_ids", "signature_status": "signature_statuses",
               "access_level": "access_levels", "retention_status": "retention_statuses",
               "ocr_status": "ocr_statuses",
               "facets": "facets", "histogram": "histogram", "sort": "sort", "limit": "size", "size": "size",
               "search_after": "search_after", "highlight": "highlight"}
"""Accepted key → ``SearchQuery`` field."""


def encode_after(after: tuple | list | None) -> str | None:
    """``SearchPage.next_after`` as an opaque, URL-safe token (None on the last page)."""
    if after is None:
        return None
    raw = json.dumps(list(after), ensure_ascii=False, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_after(token: str) -> tuple:
    """The sort key inside a token of ``encode_after``; ``QueryError`` (``invalid_cursor``) when
    it is not one. Its shape is checked by ``SearchQuery`` (it depends on the sort)."""
    from search.query import QueryError

    try:
        value = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError) as exc:
        value = exc
    if not isinstance(value, list) or not value:
        raise QueryError("search_after is not a token returned as next_after",
                         "Con trỏ trang (search_after) không hợp lệ: hãy dùng đúng giá trị next_after của trang trước",
                         code="invalid_cursor")
    return tuple(value)


def query_from_dict(d: dict[str, Any]):
    """A ``SearchQuery`` from accepted keys; ``ValueError`` (or ``TypeError``) on a bad key or value.

    ``None`` values are ignored; the key ``id`` (a batch line's label) is skipped."""
    from search.query import SearchQuery

    kw: dict = {"q": d.get("q") or ""}
    for key, value in d.items():
        if key in ("id", "q") or value is None:
            continue
        name = FILTER_KEYS.get(key)
        if name is None:
            raise ValueError(f"unknown query key {key!r}")
        if name in ("date_from", "date_to") and isinstance(value, str):
            value = date.fromisoformat(value)
        if name == "search_after" and isinstance(value, str):
            value = decode_after(value)
        kw[name] = value
    return SearchQuery(**kw)


def page_dict(page, *, opaque_after: bool = False, detail: bool = False) -> dict:
    """A ``SearchPage`` as plain data. ``opaque_after``: ``next_after`` as a token; ``detail``: each
    hit also carries type, agency, signer, and the histogram is included."""
    d = page.as_dict()
    keys: tuple[str, ...] = ("record_id", "score", "so_ky_hieu", "title", "date", "snippet")
    if detail:
        keys += ("type_name", "organ_name", "signer_name")
    out = {"total": d["total"], "hits": [{k: h.get(k) for k in keys} for h in d["hits"]], "facets": d["facets"]}
    if detail:
        out["histogram"] = d["histogram"]
    out["next_after"] = encode_after(page.next_after) if opaque_after else d["next_after"]
    return out
