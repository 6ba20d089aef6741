"""The format policy: for each format, whether to OCR, which preservation copy, which access copy.

Data, like the retention schedules: versioned in the catalogue (``format_policies``), shown and
imported with ``luutru formats policy``; until one is imported the built-in ``DEFAULT_POLICY``
applies (version 0). Rules are tried in order, the first whose ``match`` fits wins.

``match`` keys (all given must fit): ``puid`` (PRONOM ids), ``media_type``, ``pdfa`` (the PDF
claims PDF/A), ``signed`` (the PDF carries a signature). Values:

* ``ocr``: ``never`` · ``scanned_pages`` (PDF pages with little text and mostly image) ·
  ``always`` (every page; images);
* ``preservation``: ``original`` (the original is kept as the preservation format) · ``pdfa-2b``
  (a PDF/A-2b copy: LibreOffice for office documents, Ghostscript for PDFs) · ``ltv`` (signed
  PDFs: the long-term-validation copy; never converted) · ``ocr_copy`` (the searchable PDF/A-2b);
* ``access``: ``original`` · ``preservation`` · ``ocr_copy`` — the copy shown to readers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

OCR = ("never", "scanned_pages", "always")
PRESERVATION = ("original", "pdfa-2b", "ltv", "ocr_copy")
ACCESS = ("original", "preservation", "ocr_copy")
MATCH_KEYS = {"puid", "media_type", "pdfa", "signed"}

OFFICE = ["application/vnd.openxmlformats-officedocument.wordprocessingml.document",
          "application/vnd.oasis.opendocument.text",
          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          "application/vnd.oasis.opendocument.spreadsheet"]

DEFAULT_POLICY: dict = {"formats": [
    {"name": "PDF có chữ ký số", "match": {"media_type": ["application/pdf"], "signed": True},
     "ocr": "scanned_pages", "preservation": "ltv", "access": "original"},
    {"name": "PDF/A", "match": {"media_type": ["application/pdf"], "pdfa": True},
     "ocr": "scanned_pages", "preservation": "original", "access": "original"},
    {"name": "PDF", "match": {"media_type": ["application/pdf"]},
     "ocr": "scanned_pages", "preservation": "original", "access": "original"},
    {"name": "Ảnh quét (TIFF, JPEG, PNG)", "match": {"media_type": ["image/tiff", "image/jpeg", "image/png"]},
     "ocr": "always", "preservation": "original", "access": "ocr_copy"},
    {"name": "Văn bản văn phòng (DOCX, ODT, XLSX, ODS)", "match": {"media_type": OFFICE},
     "ocr": "never", "preservation": "pdfa-2b", "access": "preservation"},
    {"name": "Định dạng khác", "match": {}, "ocr": "never", "preservation": "original", "access": "original"},
]}


class PolicyError(ValueError):
    def __init__(self, message: str, message_vi: str):
        super().__init__(message)
        self.message_vi = message_vi


@dataclass(frozen=True)
class FormatRule:
    name: str
    ocr: str
    preservation: str
    access: str
    version: int

    def as_dict(self) -> dict:
        return {"rule": self.name, "ocr": self.ocr, "preservation": self.preservation, "access": self.access,
                "policy_version": self.version}


def validate(content: Any) -> dict:
    """The policy, checked: every rule names known values; the last rule matches everything."""
    if not isinstance(content, dict) or not isinstance(content.get("formats"), list) or not content["formats"]:
        raise PolicyError("the policy must be an object with a non-empty list 'formats'",
                          "Chính sách phải là một đối tượng có danh sách 'formats' không rỗng")
    rules = []
    for i, rule in enumerate(content["formats"], 1):
        if not isinstance(rule, dict):
            raise PolicyError(f"rule {i} is not an object", f"Quy tắc {i} không phải là một đối tượng")
        match = rule.get("match") or {}
        if not isinstance(match, dict) or set(match) - MATCH_KEYS:
            raise PolicyError(f"rule {i}: match keys must be among {sorted(MATCH_KEYS)}",
                              f"Quy tắc {i}: điều kiện chỉ được dùng {', '.join(sorted(MATCH_KEYS))}")
        for key in ("puid", "media_type"):
            if key in match and (not isinstance(match[key], list) or not all(isinstance(v, str) for v in match[key])):
                raise PolicyError(f"rule {i}: match.{key} must be a list of strings",
                                  f"Quy tắc {i}: match.{key} phải là danh sách chuỗi")
        for key in ("pdfa", "signed"):
            if key in match and not isinstance(match[key], bool):
                raise PolicyError(f"rule {i}: match.{key} must be true or false",
                                  f"Quy tắc {i}: match.{key} phải là true hoặc false")
        for key, allowed in (("ocr", OCR), ("preservation", PRESERVATION), ("access", ACCESS)):
            if rule.get(key) not in allowed:
                raise PolicyError(f"rule {i}: {key} must be one of {', '.join(allowed)}",
                                  f"Quy tắc {i}: {key} phải là một trong {', '.join(allowed)}")
        rules.append({"name": str(rule.get("name") or f"rule {i}"), "match": match, "ocr": rule["ocr"],
                      "preservation": rule["preservation"], "access": rule["access"]})
    if rules[-1]["match"]:
        raise PolicyError("the last rule must match every format (an empty match)",
                          "Quy tắc cuối cùng phải áp dụng cho mọi định dạng (match rỗng)")
    return {"formats": rules}


def _sha(content: dict) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class FormatPolicy:
    """One version of the policy, ready to answer ``rule_for``."""

    def __init__(self, content: dict, version: int = 0):
        self.content = validate(content)
        self.version = version

    def rule_for(self, *, media_type: str | None, puid: str | None = None, pdfa: bool = False,
                 signed: bool = False) -> FormatRule:
        for rule in self.content["formats"]:
            m = rule["match"]
            if "puid" in m and puid not in m["puid"]:
                continue
            if "media_type" in m and media_type not in m["media_type"]:
                continue
            if "pdfa" in m and m["pdfa"] != pdfa:
                continue
            if "signed" in m and m["signed"] != signed:
                continue
            return FormatRule(rule["name"], rule["ocr"], rule["preservation"], rule["access"], self.version)
        raise AssertionError("validate() guarantees a catch-all last rule")


class PolicyStore:
    """The policy versions in the catalogue."""

    def __init__(self, catalogue):
        self.catalogue = catalogue
        self._current: FormatPolicy | None = None

    def current(self) -> FormatPolicy:
        """The version in force. Versions are never changed once saved, so the one read last is kept
        and only the newest version's number is asked for (the ingest asks once per document)."""
        from archive.catalogue.format_tables import FormatPolicyVersion

        kept = self._current
        with self.catalogue.session() as s:
            newest = s.execute(sa.select(sa.func.max(FormatPolicyVersion.version))).scalar() or 0
            if kept is not None and kept.version == newest:
                return kept
            row = s.get(FormatPolicyVersion, newest) if newest else None
            policy = FormatPolicy(row.content, row.version) if row is not None else FormatPolicy(DEFAULT_POLICY, 0)
        self._current = policy
        return policy

    def versions(self) -> list[dict]:
        from archive.catalogue.format_tables import FormatPolicyVersion

        with self.catalogue.session() as s:
            rows = s.execute(sa.select(FormatPolicyVersion).order_by(FormatPolicyVersion.version)).scalars()
            return [{"version": r.version, "created_at": r.created_at.isoformat(), "created_by": r.created_by,
                     "note": r.note, "rules": len(r.content["formats"])} for r in rows]

    def save(self, content: Any, *, actor: str, note: str | None = None) -> tuple[int, bool]:
        """Save a new version when the content differs from the one in force: (version, created)."""
        from archive import audit
        from archive.catalogue.format_tables import FormatPolicyVersion

        checked = validate(content)
        digest = _sha(checked)
        with self.catalogue.session() as s:
            last = s.execute(sa.select(FormatPolicyVersion).order_by(FormatPolicyVersion.version.desc())
                             .limit(1).with_for_update()).scalar()
            current_sha = last.content_sha256 if last is not None else _sha(validate(DEFAULT_POLICY))
            if digest == current_sha:
                return (last.version if last is not None else 0), False
            version = (last.version if last is not None else 0) + 1
            now = datetime.now(UTC)
            s.add(FormatPolicyVersion(version=version, content=checked, content_sha256=digest, note=note,
                                      created_at=now, created_by=actor))
            audit.append(s, at=now, actor=actor, action="format_policy.import", target_type="format_policy",
                         target_id=str(version), detail={"sha256": digest, "rules": len(checked["formats"])})
            return version, True
