"""Field-level accuracy of ingest against the corpus generator's truth.

``compare(truth_rows, records)`` matches each truth row to the archived record of its file and
counts, per Decree 30 field, how often the archived value equals the truth (after NFC and
whitespace normalisation). Used by the corpus tests (a minimum bar) and by
``bench/ingest_accuracy.py`` (the report).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from typing import Any

# truth key -> how to read it from the record dict of ArchiveService.get_record
FIELDS: dict[str, Any] = {
    "doc_type": "type_name",
    "so_ky_hieu": "so_ky_hieu",
    "issued_date": "issued_date",
    "place": "place",
    "issuing_agency": "organ_name",
    "subject": "subject",
    "signer_name": "signer_name",
    "signer_position": "signer_position",
    "security_level": "security_level",
    "urgency": "urgency",
    "recipients": lambda r: [x.get("organ_name") for x in (r.get("recipients") or [])],
}


def _norm(value: Any) -> Any:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list):
        return [_norm(v) for v in value]
    text = unicodedata.normalize("NFC", str(value))
    return " ".join(text.split()).strip(" .;").casefold()


def field_value(record: dict, field: str) -> Any:
    getter = FIELDS[field]
    return getter(record) if callable(getter) else record.get(getter)


def compare(pairs: list[tuple[dict, dict]]) -> dict[str, dict[str, Any]]:
    """``pairs`` of (truth row, record dict). Returns {field: {"correct", "total", "accuracy", "errors"}}."""
    stats: dict[str, dict[str, Any]] = defaultdict(lambda: {"correct": 0, "total": 0, "errors": []})
    for truth, record in pairs:
        meta = truth.get("metadata") or {}
        for field in FIELDS:
            if field not in meta:
                continue
            expected, got = _norm(meta[field]), _norm(field_value(record, field))
            s = stats[field]
            s["total"] += 1
            if expected == got:
                s["correct"] += 1
            elif len(s["errors"]) < 5:
                s["errors"].append({"file": truth.get("file"), "expected": meta[field],
                                    "got": field_value(record, field)})
    for s in stats.values():
        s["accuracy"] = s["correct"] / s["total"] if s["total"] else 1.0
    return dict(stats)
