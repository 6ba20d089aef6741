"""edXML (QCVN 102:2016) import: ``parse_message`` (pure, safe), ``verify_message`` (XML-DSig),
``EdxmlImportService`` (one record per document message through the ordinary ingest pipeline)."""

from ingest.edxml.errors import EdxmlRejected
from ingest.edxml.importer import EdxmlImportService, EdxmlOutcome
from ingest.edxml.model import Attachment, EdxmlMessage, Organ
from ingest.edxml.parse import Limits, parse_message
from ingest.edxml.signature import SignatureResult, verify_message

__all__ = ["Attachment", "EdxmlImportService", "EdxmlMessage", "EdxmlOutcome", "EdxmlRejected", "Limits", "Organ",
           "SignatureResult", "parse_message", "verify_message"]
