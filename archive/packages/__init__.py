"""TT 05/2025/TT-BNV archival packages (AIP_hoso, AIP_tailieu, SIP, DIP) and BagIt bags of a dossier.

``export`` writes a dossier as a package (``builder``: METS, simpledc, PREMIS, schemas), ``reader``
checks one before import, ``zipsafe`` unpacks untrusted ZIPs, ``codes`` maps TT 05 codes.
The import itself runs the ordinary ingest pipeline: ``ingest.packages``.
"""
