"""Ingest: from a file to an archived, described record, or a clear reason why not."""
