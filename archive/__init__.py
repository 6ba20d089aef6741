"""The archive kernel: settings, domain model, catalogue, object stores and ArchiveService.

Imported by every other package; imports none of ``ingest``, ``search``, ``retention`` or ``api``
(the direction is checked by ``tests/test_layering.py``).
"""
