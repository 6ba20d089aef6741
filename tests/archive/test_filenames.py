"""Submitted file names are neutralised before they are stored or served (Hypothesis over any text).

Regression (issue 13, defect 12): right-to-left override and other bidirectional controls were kept
in stored file names and served back, so ``hoso<RLO>fdp.exe`` showed as ``hosoexe.pdf``."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from archive.domain import safe_filename

FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f/\\\\:*?\"<>|\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


@given(st.text(max_size=600))
def test_any_name_becomes_a_safe_one(name):
    out = safe_filename(name)
    assert out and out not in (".", "..")
    assert not FORBIDDEN.search(out), repr(out)
    assert len(out.encode("utf-8")) <= 255
    assert unicodedata.normalize("NFC", out) == out
    assert safe_filename(out) == out  # stable: serving a stored name changes nothing


def test_spoofing_and_vietnamese_names():
    assert safe_filename("hoso\u202efdp.exe") == "hosofdp.exe"
    assert safe_filename("a\u2066b\u2069c.pdf") == "abc.pdf"
    assert safe_filename("Quye\u0302\u0301t đi\u0323nh 45.pdf") == "Quyết định 45.pdf"  # NFD in, NFC out
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("\u202e\u200f") == "tai-lieu"
