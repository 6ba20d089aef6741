"""Text and metadata extraction behind the ``Extractor`` protocol, chosen by media type.

PDF text through PDFium (pypdfium2), PDF structure through pypdf, every other format through
Apache Tika (in-process via iscc-tika, or a Tika server). Extraction runs in isolated worker
processes (``ingest.extract.pool``) with a time and memory limit per file.
"""
