"""ListObjectVersions for the S3 store, read from the XML itself.

minio-py 7.2 parses every ``LastModified`` with ``%Y-%m-%dT%H:%M:%S.%fZ`` (at most six fractional
digits) and raises ValueError on anything finer. ISO 8601 allows any number of digits, and S3
servers differ: AWS sends milliseconds, versitygw sends a delete marker's date with nanoseconds
(Go's RFC 3339 "nano" layout, e.g. ``2026-12-06T04:36:28.72497375Z``). With minio's
``list_objects(include_version=True)`` one stray delete marker made ``delete`` and the repair
pass fail on such a server; this listing accepts any precision (truncated to microseconds).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from minio import Minio

_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_s3_time(value: str | None) -> datetime | None:
    """An ISO 8601 date from S3 XML or headers, with any number of fractional digits, as UTC."""
    if not value:
        return None
    text = _FRACTION.sub(r"\1", value.strip()).replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ListedVersion:
    """One entry of ListObjectVersions: a version or a delete marker."""

    object_name: str
    version_id: str | None
    is_delete_marker: bool
    is_latest: bool
    last_modified: datetime | None


def _child(node: ET.Element, name: str) -> str | None:
    for c in node:
        if c.tag.rsplit("}", 1)[-1] == name:
            return c.text
    return None


def list_versions(client: Minio, bucket: str, prefix: str) -> Iterator[ListedVersion]:
    """Every version and delete marker under ``prefix``, in S3's order (key, then newest first),
    following the pages. ``client`` is a ``minio.Minio`` (its signed ``_execute``)."""
    key_marker = version_marker = None
    while True:
        params: dict[str, str | list[str] | tuple[str]] = {"versions": "", "prefix": prefix, "max-keys": "1000"}
        if key_marker is not None:
            params["key-marker"] = key_marker
        if version_marker is not None:
            params["version-id-marker"] = version_marker
        root = ET.fromstring(client._execute("GET", bucket, query_params=params).data)
        for node in root:
            kind = node.tag.rsplit("}", 1)[-1]
            if kind not in ("Version", "DeleteMarker"):
                continue
            version_id = _child(node, "VersionId")
            yield ListedVersion(
                object_name=_child(node, "Key") or "",
                version_id=version_id or None,  # "null": written before versioning was on
                is_delete_marker=kind == "DeleteMarker",
                is_latest=(_child(node, "IsLatest") or "").lower() == "true",
                last_modified=parse_s3_time(_child(node, "LastModified")),
            )
        if (_child(root, "IsTruncated") or "").lower() != "true":
            return
        key_marker, version_marker = _child(root, "NextKeyMarker"), _child(root, "NextVersionIdMarker")
        if not key_marker:
            return
