"""Numbers people type in forms and addresses, read without ever failing."""

from __future__ import annotations


def int_in(value: object, low: int, high: int) -> int | None:
    """A whole number typed in a form or an address, within ``low``..``high``; None for anything
    else — blank, a sign, digits that are not ASCII ("²", "٣": ``isdigit`` but not ``int``), more
    digits than ``high`` has (Python refuses to read over 4,300) — never an error."""
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(high)):
        return None
    number = int(text)
    return number if low <= number <= high else None
