"""OCR of scanned documents (OCRmyPDF + Tesseract ``vie``): the engine runs in the extraction
workers (``ingest.ocr.engine``), the pipeline step and the deferred task live in
``ingest.steps.ocr``."""
