"""TT 05/2025/TT-BNV code tables and the mapping between them and the catalogue's values.

The circular's ``simpledc`` records carry 2-digit codes (``shared/domain/tt05-packages.md`` §8);
the catalogue keeps Decree 30 values (``Quyết định``, ``vi``, ``public``). Each mapping here goes
both ways, so a dossier exported and imported into another archive is exported again with the same
codes (the round trip of issue 19).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

MAINTENANCE = {"01": "Vĩnh viễn", "02": "70 năm", "03": "50 năm", "04": "30 năm", "05": "20 năm",
               "06": "10 năm", "07": "Khác"}
_YEARS_TO_MAINTENANCE = {70: "02", 50: "03", 30: "04", 20: "05", 10: "06"}

MODE = {"01": "Công khai", "02": "Sử dụng có điều kiện", "03": "Mật"}
_ACCESS_TO_MODE = {"public": "01", "internal": "02", "restricted": "03", "secret": "03"}
_MODE_TO_ACCESS = {"01": "public", "02": "internal", "03": "restricted"}

LANGUAGE = {"01": "Việt", "02": "Anh", "03": "Pháp", "04": "Nga", "05": "Trung", "06": "Việt-Anh",
            "07": "Việt-Nga", "08": "Việt-Pháp", "09": "Hán Nôm", "10": "Việt-Trung", "11": "Khác"}
_LANG_TO_CODE = {"vi": "01", "en": "02", "fr": "03", "ru": "04", "zh": "05", "vi,en": "06", "vi,ru": "07",
                 "vi,fr": "08", "nom": "09", "vi,zh": "10"}
_CODE_TO_LANG = {v: k for k, v in _LANG_TO_CODE.items()}

TYPE_NAME = {
    "01": "Nghị quyết", "02": "Quyết định", "03": "Chỉ thị", "04": "Quy chế", "05": "Quy định", "06": "Thông cáo",
    "07": "Thông báo", "08": "Hướng dẫn", "09": "Chương trình", "10": "Kế hoạch", "11": "Phương án", "12": "Đề án",
    "13": "Dự án", "14": "Báo cáo", "15": "Tờ trình", "16": "Giấy ủy quyền", "17": "Phiếu gửi", "18": "Phiếu chuyển",
    "19": "Phiếu báo", "20": "Biên bản", "21": "Hợp đồng", "22": "Công văn", "23": "Công điện", "24": "Bản ghi nhớ",
    "25": "Bản thỏa thuận", "26": "Giấy mời", "27": "Giấy giới thiệu", "28": "Giấy nghỉ phép", "29": "Thư công",
    "30": "Bản đồ", "31": "Bản vẽ kỹ thuật", "32": "Khác",
}


def _fold(text: str) -> str:
    """Lower case without diacritics or the (cá biệt) qualifier: ``Nghị quyết (cá biệt)`` → ``nghi quyet``."""
    text = re.sub(r"\(.*?\)", "", text).replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return " ".join(text.lower().split())


_FOLDED_TYPES = {_fold(v): k for k, v in TYPE_NAME.items()}
# the old spelling (hoà/uỷ) folds the same; these are the copy forms of NĐ 30 (type of the original unknown)
_FOLDED_TYPES.update({"giay uy quyen": "16", "ban thoa thuan": "25"})


def type_code(type_name: str | None) -> str:
    """TT 05 ``typeName`` of a Decree 30 type name; ``32`` (Khác) for none or a type without a code
    (laws, decrees: the real name then goes into ``description``, tt05-packages.md §8)."""
    return _FOLDED_TYPES.get(_fold(type_name), "32") if type_name else "32"


def type_label(code: str) -> str | None:
    """The Decree 30 type name of a code; None for ``32`` (Khác) or an unknown code."""
    return TYPE_NAME.get(code) if code != "32" else None


def maintenance_code(*, permanent: bool, years: int | None) -> str:
    if permanent:
        return "01"
    return _YEARS_TO_MAINTENANCE.get(years or 0, "07")


def mode_code(access: str | None) -> str:
    return _ACCESS_TO_MODE.get(access or "internal", "02")


def access_of_mode(code: str) -> str:
    return _MODE_TO_ACCESS.get(code, "internal")


def language_code(language: str | None) -> str:
    key = ",".join(p.strip().lower() for p in re.split(r"[,;\s]+", language or "vi") if p.strip())
    return _LANG_TO_CODE.get(key, "11")


def language_of(code: str) -> str:
    first = re.split(r"[,;\s]+", code.strip())[0] if code.strip() else "01"
    return _CODE_TO_LANG.get(first, "vi")


def vn_date(value: date | None) -> str:
    """``DD/MM/YYYY`` (TT 05 dates are never ISO); empty for None."""
    return value.strftime("%d/%m/%Y") if value else ""


def parse_vn_date(text: str | None) -> date | None:
    """``DD/MM/YYYY``, ``MM/YYYY`` (first day) or ``YYYY`` (1 January); None for empty; ValueError otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    m = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", text)
    if m:
        return date(int(m[3]), int(m[2]), int(m[1]))
    m = re.fullmatch(r"(\d{2})/(\d{4})", text)
    if m:
        return date(int(m[2]), int(m[1]), 1)
    if re.fullmatch(r"\d{4}", text):
        return date(int(text), 1, 1)
    raise ValueError(f"not a DD/MM/YYYY date: {text!r}")
