"""Deterministic corpus of Vietnamese administrative documents with their truth.

``python -m kit.corpus OUT_DIR --seed 1 --count 50 [--hostile] [--large]`` writes the
files and ``truth.jsonl``; see :func:`generate`, :func:`random_doc_spec`,
:func:`generate_pdf` and :mod:`kit.corpus.hostile` for the hostile set.
"""

from .generator import (
    FORMATS,
    MEDIA_TYPES,
    Block,
    DocSpec,
    FontsMissing,
    date_line,
    document_blocks,
    generate,
    generate_docx,
    generate_eml,
    generate_html,
    generate_odt,
    generate_pdf,
    generate_text,
    law_quotes,
    noi_nhan_lines,
    random_doc_spec,
    random_pages,
    random_person,
    render_pdf,
    with_number,
)

__all__ = [
    "FORMATS", "MEDIA_TYPES", "Block", "DocSpec", "FontsMissing", "date_line", "document_blocks", "generate",
    "generate_docx", "generate_eml", "generate_html", "generate_odt", "generate_pdf", "generate_text",
    "law_quotes", "noi_nhan_lines", "random_doc_spec", "random_pages", "random_person", "render_pdf",
    "with_number",
]
