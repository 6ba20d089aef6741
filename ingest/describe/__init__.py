"""Describe a document from its extracted text (*thông tin mô tả văn bản*).

:func:`parse_document` reads the Decree 30/2020/NĐ-CP header and closing (issuer, number and
symbol, place and date, type and subject, recipients, signer, secrecy and urgency) into a
:class:`Description` whose every :class:`Field` carries a confidence and where it was read.
Pure functions: no I/O beyond reading the packaged ``doc_types.json`` once.
"""

from ingest.describe.decree30 import parse_document
from ingest.describe.description import FIELD_ORDER, Description, Field
from ingest.describe.doc_types import DocType, DocTypeTable, load_doc_types

__all__ = [
    "FIELD_ORDER",
    "Description",
    "DocType",
    "DocTypeTable",
    "Field",
    "load_doc_types",
    "parse_document",
]
