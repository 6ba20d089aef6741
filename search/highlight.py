"""Snippet post-processing shared by the backends.

Engines highlight on the folded field, so "số" would also light up "sở" and "sơ". A syllable
typed with diacritics keeps its bold only where the text has the same tones; one typed without
diacritics keeps it everywhere.
"""

from __future__ import annotations

import re
from html import unescape

from search.analysis import cached_exact, cached_fold

_BOLD = re.compile(r"<b>(.*?)</b>", re.S)


def refine_highlights(html: str, compiled) -> str:
    """Drop the ``<b>`` of words the query asked for with other tones (``compiled``: a ``Compiled``)."""
    exact, folded = compiled.highlight_exact, compiled.highlight_fold
    if not exact:
        return html

    def keep(m: re.Match) -> str:
        word = unescape(m.group(1))
        if cached_fold(word) in folded or cached_exact(word) in exact:
            return m.group(0)
        return m.group(1)

    return _BOLD.sub(keep, html)
