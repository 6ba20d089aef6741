"""Vocabulary of the corpus generator: document types, agencies, people, places and phrases.

Everything here is plain data (UTF-8, NFC).  The generator combines it with a seeded
``random.Random`` so that the same seed always produces the same documents.

Sources: document types and abbreviations follow Nghị định 30/2020/NĐ-CP, Điều 7 and
Phụ lục III Mục I (see shared/domain/doc-types.json); the layout vocabulary (authority
prefixes, secrecy and urgency marks) follows Phụ lục I.  Agencies, people and subjects are
invented but realistic; the laws cited in "Căn cứ" lines are real, with their real dates.
"""

from __future__ import annotations

# ---------------------------------------------------------------------------------------
# Document types
# ---------------------------------------------------------------------------------------
#: One entry per type.  ``abbr`` is the type abbreviation used in the ký hiệu (None for
#: Công văn and Thư công); ``heading`` is the type name printed in box 5a (None for Công
#: văn, whose subject goes under the number as "V/v ..."); ``style`` selects the body
#: writer; ``kinds`` lists the agency kinds that may issue it; ``category`` is
#: administrative, copy or normative.
DOC_TYPES: list[dict] = [
    {"name": "Nghị quyết (cá biệt)", "short": "Nghị quyết", "abbr": "NQ", "heading": "NGHỊ QUYẾT",
     "style": "resolution", "kinds": ["hdnd", "cp"], "category": "administrative"},
    {"name": "Quyết định (cá biệt)", "short": "Quyết định", "abbr": "QĐ", "heading": "QUYẾT ĐỊNH",
     "style": "decision", "kinds": ["ubnd", "so", "bo", "cuc", "ttg", "vpcp", "phong"],
     "category": "administrative"},
    {"name": "Chỉ thị", "short": "Chỉ thị", "abbr": "CT", "heading": "CHỈ THỊ", "style": "directive",
     "kinds": ["ubnd", "ttg", "bo"], "category": "administrative"},
    {"name": "Quy chế", "short": "Quy chế", "abbr": "QC", "heading": "QUY CHẾ", "style": "regulation",
     "kinds": ["ubnd", "so", "bo", "cuc", "vpcp"], "category": "administrative"},
    {"name": "Quy định", "short": "Quy định", "abbr": "QyĐ", "heading": "QUY ĐỊNH", "style": "regulation",
     "kinds": ["ubnd", "so", "bo", "cuc"], "category": "administrative"},
    {"name": "Thông cáo", "short": "Thông cáo", "abbr": "TC", "heading": "THÔNG CÁO", "style": "letter",
     "kinds": ["ubnd", "vpcp", "bo"], "category": "administrative"},
    {"name": "Thông báo", "short": "Thông báo", "abbr": "TB", "heading": "THÔNG BÁO", "style": "letter",
     "kinds": ["ubnd", "so", "bo", "cuc", "vpcp", "phong"], "category": "administrative"},
    {"name": "Hướng dẫn", "short": "Hướng dẫn", "abbr": "HD", "heading": "HƯỚNG DẪN", "style": "sections",
     "kinds": ["so", "bo", "cuc", "phong"], "category": "administrative"},
    {"name": "Chương trình", "short": "Chương trình", "abbr": "CTr", "heading": "CHƯƠNG TRÌNH",
     "style": "sections", "kinds": ["ubnd", "so", "bo"], "category": "administrative"},
    {"name": "Kế hoạch", "short": "Kế hoạch", "abbr": "KH", "heading": "KẾ HOẠCH", "style": "sections",
     "kinds": ["ubnd", "so", "bo", "cuc", "phong"], "category": "administrative"},
    {"name": "Phương án", "short": "Phương án", "abbr": "PA", "heading": "PHƯƠNG ÁN", "style": "sections",
     "kinds": ["ubnd", "so", "cuc"], "category": "administrative"},
    {"name": "Đề án", "short": "Đề án", "abbr": "ĐA", "heading": "ĐỀ ÁN", "style": "sections",
     "kinds": ["ubnd", "so", "bo"], "category": "administrative"},
    {"name": "Dự án", "short": "Dự án", "abbr": "DA", "heading": "DỰ ÁN", "style": "sections",
     "kinds": ["ubnd", "so"], "category": "administrative"},
    {"name": "Báo cáo", "short": "Báo cáo", "abbr": "BC", "heading": "BÁO CÁO", "style": "report",
     "kinds": ["ubnd", "so", "bo", "cuc", "phong", "vpcp"], "category": "administrative"},
    {"name": "Biên bản", "short": "Biên bản", "abbr": "BB", "heading": "BIÊN BẢN", "style": "minutes",
     "kinds": ["ubnd", "so", "cuc", "phong"], "category": "administrative"},
    {"name": "Tờ trình", "short": "Tờ trình", "abbr": "TTr", "heading": "TỜ TRÌNH", "style": "submission",
     "kinds": ["so", "ubnd", "phong", "cuc"], "category": "administrative"},
    {"name": "Hợp đồng", "short": "Hợp đồng", "abbr": "HĐ", "heading": "HỢP ĐỒNG", "style": "contract",
     "kinds": ["so", "cuc", "phong"], "category": "administrative"},
    {"name": "Công điện", "short": "Công điện", "abbr": "CĐ", "heading": "CÔNG ĐIỆN", "style": "telegram",
     "kinds": ["ttg", "ubnd"], "category": "administrative"},
    {"name": "Bản ghi nhớ", "short": "Bản ghi nhớ", "abbr": "BGN", "heading": "BẢN GHI NHỚ",
     "style": "contract", "kinds": ["ubnd", "bo", "so"], "category": "administrative"},
    {"name": "Bản thỏa thuận", "short": "Bản thỏa thuận", "abbr": "BTT", "heading": "BẢN THỎA THUẬN",
     "style": "contract", "kinds": ["ubnd", "so", "cuc"], "category": "administrative"},
    {"name": "Giấy ủy quyền", "short": "Giấy ủy quyền", "abbr": "GUQ", "heading": "GIẤY ỦY QUYỀN",
     "style": "form", "kinds": ["so", "cuc", "phong"], "category": "administrative"},
    {"name": "Giấy mời", "short": "Giấy mời", "abbr": "GM", "heading": "GIẤY MỜI", "style": "form",
     "kinds": ["ubnd", "so", "bo", "cuc", "phong", "vpcp"], "category": "administrative"},
    {"name": "Giấy giới thiệu", "short": "Giấy giới thiệu", "abbr": "GGT", "heading": "GIẤY GIỚI THIỆU",
     "style": "form", "kinds": ["so", "cuc", "phong"], "category": "administrative"},
    {"name": "Giấy nghỉ phép", "short": "Giấy nghỉ phép", "abbr": "GNP", "heading": "GIẤY NGHỈ PHÉP",
     "style": "form", "kinds": ["so", "cuc", "phong"], "category": "administrative"},
    {"name": "Phiếu gửi", "short": "Phiếu gửi", "abbr": "PG", "heading": "PHIẾU GỬI", "style": "form",
     "kinds": ["so", "cuc", "phong", "vpcp"], "category": "administrative"},
    {"name": "Phiếu chuyển", "short": "Phiếu chuyển", "abbr": "PC", "heading": "PHIẾU CHUYỂN",
     "style": "form", "kinds": ["vpcp", "so", "cuc"], "category": "administrative"},
    {"name": "Phiếu báo", "short": "Phiếu báo", "abbr": "PB", "heading": "PHIẾU BÁO", "style": "form",
     "kinds": ["so", "cuc", "phong"], "category": "administrative"},
    {"name": "Công văn", "short": "Công văn", "abbr": None, "heading": None, "style": "letter",
     "kinds": ["ubnd", "so", "bo", "cuc", "ttg", "vpcp", "phong"], "category": "administrative"},
    {"name": "Thư công", "short": "Thư công", "abbr": None, "heading": "THƯ", "style": "public_letter",
     "kinds": ["ubnd", "bo", "so"], "category": "administrative"},
    {"name": "Bản sao y", "short": "Bản sao y", "abbr": "SY", "heading": "SAO Y", "style": "copy",
     "kinds": ["ubnd", "so", "cuc", "phong"], "category": "copy"},
    {"name": "Bản trích sao", "short": "Bản trích sao", "abbr": "TrS", "heading": "TRÍCH SAO",
     "style": "copy", "kinds": ["ubnd", "so", "cuc", "phong"], "category": "copy"},
    {"name": "Bản sao lục", "short": "Bản sao lục", "abbr": "SL", "heading": "SAO LỤC", "style": "copy",
     "kinds": ["ubnd", "so", "cuc", "phong"], "category": "copy"},
    # Legal normative documents (outside NĐ 30; number includes the year: 64/2007/NĐ-CP).
    {"name": "Nghị định", "short": "Nghị định", "abbr": "NĐ", "heading": "NGHỊ ĐỊNH", "style": "normative",
     "kinds": ["cp"], "category": "normative"},
    {"name": "Thông tư", "short": "Thông tư", "abbr": "TT", "heading": "THÔNG TƯ", "style": "normative",
     "kinds": ["bo"], "category": "normative"},
]

DOC_TYPE_BY_NAME = {t["name"]: t for t in DOC_TYPES}

# ---------------------------------------------------------------------------------------
# Agencies
# ---------------------------------------------------------------------------------------
#: ``lines``: the issuer name as printed (bold caps, one list item per printed line);
#: ``parent``: the cơ quan chủ quản lines printed above it (or None); ``abbr``: the issuer
#: abbreviation of the ký hiệu; ``place``: the địa danh of the date line; ``kind``: used to
#: pick document types and signer blocks; ``units``: abbreviations of drafting units (used
#: in a công văn's ký hiệu and in "Lưu: VT, ..."); ``head``/``deputy``: titles of the head
#: and deputy head; ``collective``: the name used after "TM." for a collective body;
#: ``office``: the title signing "TL."; ``short``: how the body refers to the agency;
#: ``scope``: the territory or field ("trên địa bàn ..." phrases); ``email``: for EML.
AGENCIES: list[dict] = [
    {"lines": ["ỦY BAN NHÂN DÂN", "THÀNH PHỐ HÀ NỘI"], "parent": None, "abbr": "UBND", "place": "Hà Nội",
     "kind": "ubnd", "units": ["THCB", "KT", "ĐT", "NC", "KGVX", "TH"], "head": "CHỦ TỊCH",
     "deputy": "PHÓ CHỦ TỊCH", "collective": "ỦY BAN NHÂN DÂN", "office": "CHÁNH VĂN PHÒNG",
     "short": "Ủy ban nhân dân Thành phố", "scope": "Thành phố", "email": "vanthu@hanoi.gov.vn"},
    {"lines": ["ỦY BAN NHÂN DÂN", "TỈNH NGHỆ AN"], "parent": None, "abbr": "UBND", "place": "Nghệ An",
     "kind": "ubnd", "units": ["TH", "KT", "VX", "NC", "CN"], "head": "CHỦ TỊCH", "deputy": "PHÓ CHỦ TỊCH",
     "collective": "ỦY BAN NHÂN DÂN", "office": "CHÁNH VĂN PHÒNG", "short": "Ủy ban nhân dân tỉnh",
     "scope": "tỉnh", "email": "vanthu@nghean.gov.vn"},
    {"lines": ["ỦY BAN NHÂN DÂN", "THÀNH PHỐ HỒ CHÍ MINH"], "parent": None, "abbr": "UBND",
     "place": "Thành phố Hồ Chí Minh", "kind": "ubnd", "units": ["KT", "ĐT", "VX", "TH", "NCPC"],
     "head": "CHỦ TỊCH", "deputy": "PHÓ CHỦ TỊCH", "collective": "ỦY BAN NHÂN DÂN",
     "office": "CHÁNH VĂN PHÒNG", "short": "Ủy ban nhân dân Thành phố", "scope": "Thành phố",
     "email": "vanthu@tphcm.gov.vn"},
    {"lines": ["ỦY BAN NHÂN DÂN", "TỈNH QUẢNG NINH"], "parent": None, "abbr": "UBND", "place": "Quảng Ninh",
     "kind": "ubnd", "units": ["TH1", "XD2", "NLN1", "VX3"], "head": "CHỦ TỊCH", "deputy": "PHÓ CHỦ TỊCH",
     "collective": "ỦY BAN NHÂN DÂN", "office": "CHÁNH VĂN PHÒNG", "short": "Ủy ban nhân dân tỉnh",
     "scope": "tỉnh", "email": "vanthu@quangninh.gov.vn"},
    {"lines": ["ỦY BAN NHÂN DÂN", "THÀNH PHỐ ĐÀ NẴNG"], "parent": None, "abbr": "UBND", "place": "Đà Nẵng",
     "kind": "ubnd", "units": ["KT", "ĐTĐT", "VX", "TH"], "head": "CHỦ TỊCH", "deputy": "PHÓ CHỦ TỊCH",
     "collective": "ỦY BAN NHÂN DÂN", "office": "CHÁNH VĂN PHÒNG", "short": "Ủy ban nhân dân thành phố",
     "scope": "thành phố", "email": "vanthu@danang.gov.vn"},
    {"lines": ["ỦY BAN NHÂN DÂN", "TỈNH THANH HÓA"], "parent": None, "abbr": "UBND", "place": "Thanh Hóa",
     "kind": "ubnd", "units": ["KTTC", "VX", "NN", "THKH"], "head": "CHỦ TỊCH", "deputy": "PHÓ CHỦ TỊCH",
     "collective": "ỦY BAN NHÂN DÂN", "office": "CHÁNH VĂN PHÒNG", "short": "Ủy ban nhân dân tỉnh",
     "scope": "tỉnh", "email": "vanthu@thanhhoa.gov.vn"},
    {"lines": ["ỦY BAN NHÂN DÂN", "HUYỆN QUỲNH LƯU"], "parent": None, "abbr": "UBND", "place": "Quỳnh Lưu",
     "kind": "ubnd", "units": ["VP", "TCKH", "NV"], "head": "CHỦ TỊCH", "deputy": "PHÓ CHỦ TỊCH",
     "collective": "ỦY BAN NHÂN DÂN", "office": "CHÁNH VĂN PHÒNG", "short": "Ủy ban nhân dân huyện",
     "scope": "huyện", "email": "vanthu.quynhluu@nghean.gov.vn"},
    {"lines": ["HỘI ĐỒNG NHÂN DÂN", "TỈNH NGHỆ AN"], "parent": None, "abbr": "HĐND", "place": "Nghệ An",
     "kind": "hdnd", "units": ["VP"], "head": "CHỦ TỊCH", "deputy": "PHÓ CHỦ TỊCH",
     "collective": "HỘI ĐỒNG NHÂN DÂN", "office": "CHÁNH VĂN PHÒNG", "short": "Hội đồng nhân dân tỉnh",
     "scope": "tỉnh", "email": "hdnd@nghean.gov.vn"},
    {"lines": ["HỘI ĐỒNG NHÂN DÂN", "THÀNH PHỐ HÀ NỘI"], "parent": None, "abbr": "HĐND", "place": "Hà Nội",
     "kind": "hdnd", "units": ["VP"], "head": "CHỦ TỊCH", "deputy": "PHÓ CHỦ TỊCH",
     "collective": "HỘI ĐỒNG NHÂN DÂN", "office": "CHÁNH VĂN PHÒNG", "short": "Hội đồng nhân dân Thành phố",
     "scope": "Thành phố", "email": "hdnd@hanoi.gov.vn"},
    {"lines": ["SỞ TÀI CHÍNH"], "parent": ["UBND TỈNH NGHỆ AN"], "abbr": "STC", "place": "Nghệ An",
     "kind": "so", "units": ["QLNS", "TCĐT", "VP", "QLGCS", "TCDN"], "head": "GIÁM ĐỐC",
     "deputy": "PHÓ GIÁM ĐỐC", "collective": None, "office": "CHÁNH VĂN PHÒNG", "short": "Sở Tài chính",
     "scope": "tỉnh", "email": "stc@nghean.gov.vn"},
    {"lines": ["SỞ NỘI VỤ"], "parent": ["UBND THÀNH PHỐ HÀ NỘI"], "abbr": "SNV", "place": "Hà Nội",
     "kind": "so", "units": ["CCVC", "VP", "XDCQ", "TCBC", "CCHC"], "head": "GIÁM ĐỐC",
     "deputy": "PHÓ GIÁM ĐỐC", "collective": None, "office": "CHÁNH VĂN PHÒNG", "short": "Sở Nội vụ",
     "scope": "Thành phố", "email": "sonoivu@hanoi.gov.vn"},
    {"lines": ["SỞ KẾ HOẠCH VÀ ĐẦU TƯ"], "parent": ["ỦY BAN NHÂN DÂN", "THÀNH PHỐ HỒ CHÍ MINH"],
     "abbr": "SKHĐT", "place": "Thành phố Hồ Chí Minh", "kind": "so", "units": ["VP", "TH", "ĐKKD", "ĐTCT"],
     "head": "GIÁM ĐỐC", "deputy": "PHÓ GIÁM ĐỐC", "collective": None, "office": "CHÁNH VĂN PHÒNG",
     "short": "Sở Kế hoạch và Đầu tư", "scope": "Thành phố", "email": "skhdt@tphcm.gov.vn"},
    {"lines": ["SỞ GIÁO DỤC VÀ ĐÀO TẠO"], "parent": ["UBND TỈNH THANH HÓA"], "abbr": "SGDĐT",
     "place": "Thanh Hóa", "kind": "so", "units": ["VP", "GDTrH", "KTKĐ", "TCCB"], "head": "GIÁM ĐỐC",
     "deputy": "PHÓ GIÁM ĐỐC", "collective": None, "office": "CHÁNH VĂN PHÒNG",
     "short": "Sở Giáo dục và Đào tạo", "scope": "tỉnh", "email": "sgddt@thanhhoa.gov.vn"},
    {"lines": ["SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG"], "parent": ["UBND TỈNH QUẢNG NINH"], "abbr": "STNMT",
     "place": "Quảng Ninh", "kind": "so", "units": ["VP", "QLĐĐ", "MT", "TNN"], "head": "GIÁM ĐỐC",
     "deputy": "PHÓ GIÁM ĐỐC", "collective": None, "office": "CHÁNH VĂN PHÒNG",
     "short": "Sở Tài nguyên và Môi trường", "scope": "tỉnh", "email": "stnmt@quangninh.gov.vn"},
    {"lines": ["SỞ THÔNG TIN VÀ TRUYỀN THÔNG"], "parent": ["UBND THÀNH PHỐ ĐÀ NẴNG"], "abbr": "STTTT",
     "place": "Đà Nẵng", "kind": "so", "units": ["VP", "CNTT", "BCVT", "TTBCXB"], "head": "GIÁM ĐỐC",
     "deputy": "PHÓ GIÁM ĐỐC", "collective": None, "office": "CHÁNH VĂN PHÒNG",
     "short": "Sở Thông tin và Truyền thông", "scope": "thành phố", "email": "stttt@danang.gov.vn"},
    {"lines": ["PHÒNG NỘI VỤ"], "parent": ["ỦY BAN NHÂN DÂN", "QUẬN BA ĐÌNH"], "abbr": "PNV",
     "place": "Ba Đình", "kind": "phong", "units": ["NV"], "head": "TRƯỞNG PHÒNG", "deputy": "PHÓ TRƯỞNG PHÒNG",
     "collective": None, "office": None, "short": "Phòng Nội vụ", "scope": "quận",
     "email": "phongnoivu.badinh@hanoi.gov.vn"},
    {"lines": ["PHÒNG TÀI CHÍNH - KẾ HOẠCH"], "parent": ["UBND HUYỆN QUỲNH LƯU"], "abbr": "TCKH",
     "place": "Quỳnh Lưu", "kind": "phong", "units": ["TCKH"], "head": "TRƯỞNG PHÒNG",
     "deputy": "PHÓ TRƯỞNG PHÒNG", "collective": None, "office": None, "short": "Phòng Tài chính - Kế hoạch",
     "scope": "huyện", "email": "tckh.quynhluu@nghean.gov.vn"},
    {"lines": ["BỘ NỘI VỤ"], "parent": None, "abbr": "BNV", "place": "Hà Nội", "kind": "bo",
     "units": ["VP", "CCVC", "TCBC", "CQĐP", "CCHC", "PC"], "head": "BỘ TRƯỞNG", "deputy": "THỨ TRƯỞNG",
     "collective": None, "office": "CHÁNH VĂN PHÒNG", "short": "Bộ Nội vụ", "scope": "toàn quốc",
     "email": "vanthu@moha.gov.vn"},
    {"lines": ["BỘ TÀI CHÍNH"], "parent": None, "abbr": "BTC", "place": "Hà Nội", "kind": "bo",
     "units": ["NSNN", "QLCS", "PC", "HCSN", "ĐT"], "head": "BỘ TRƯỞNG", "deputy": "THỨ TRƯỞNG",
     "collective": None, "office": "CHÁNH VĂN PHÒNG", "short": "Bộ Tài chính", "scope": "toàn quốc",
     "email": "vanthu@mof.gov.vn"},
    {"lines": ["BỘ THÔNG TIN VÀ TRUYỀN THÔNG"], "parent": None, "abbr": "BTTTT", "place": "Hà Nội",
     "kind": "bo", "units": ["VP", "CĐSQG", "THH", "KHTC"], "head": "BỘ TRƯỞNG", "deputy": "THỨ TRƯỞNG",
     "collective": None, "office": "CHÁNH VĂN PHÒNG", "short": "Bộ Thông tin và Truyền thông",
     "scope": "toàn quốc", "email": "vanthu@mic.gov.vn"},
    {"lines": ["CỤC VĂN THƯ VÀ LƯU TRỮ", "NHÀ NƯỚC"], "parent": ["BỘ NỘI VỤ"], "abbr": "VTLTNN",
     "place": "Hà Nội", "kind": "cuc", "units": ["VP", "NVVT", "NVLT", "QLLT"], "head": "CỤC TRƯỞNG",
     "deputy": "PHÓ CỤC TRƯỞNG", "collective": None, "office": "CHÁNH VĂN PHÒNG",
     "short": "Cục Văn thư và Lưu trữ nhà nước", "scope": "toàn quốc", "email": "vanthu@archives.gov.vn"},
    {"lines": ["VĂN PHÒNG CHÍNH PHỦ"], "parent": None, "abbr": "VPCP", "place": "Hà Nội", "kind": "vpcp",
     "units": ["KTTH", "TKBT", "CN", "QHQT", "KSTT", "NN", "V1"], "head": "BỘ TRƯỞNG, CHỦ NHIỆM",
     "deputy": "PHÓ CHỦ NHIỆM", "collective": None, "office": "VỤ TRƯỞNG VỤ TỔNG HỢP",
     "short": "Văn phòng Chính phủ", "scope": "toàn quốc", "email": "vanthu@chinhphu.vn"},
    {"lines": ["THỦ TƯỚNG CHÍNH PHỦ"], "parent": None, "abbr": "TTg", "place": "Hà Nội", "kind": "ttg",
     "units": ["KTTH", "CN", "NN", "QHĐP", "KGVX"], "head": "THỦ TƯỚNG", "deputy": "PHÓ THỦ TƯỚNG",
     "collective": None, "office": None, "short": "Thủ tướng Chính phủ", "scope": "toàn quốc",
     "email": "vanthu@chinhphu.vn"},
    {"lines": ["CHÍNH PHỦ"], "parent": None, "abbr": "CP", "place": "Hà Nội", "kind": "cp",
     "units": ["KTTH", "PL"], "head": "THỦ TƯỚNG", "deputy": "PHÓ THỦ TƯỚNG", "collective": "CHÍNH PHỦ",
     "office": None, "short": "Chính phủ", "scope": "toàn quốc", "email": "vanthu@chinhphu.vn"},
]

#: Where the body sends work: typical co-ordinating and executing bodies per agency kind.
EXECUTORS = {
    "ubnd": ["Sở Nội vụ", "Sở Tài chính", "Sở Kế hoạch và Đầu tư", "Sở Tài nguyên và Môi trường",
             "Sở Thông tin và Truyền thông", "Sở Xây dựng", "Sở Giáo dục và Đào tạo", "Sở Y tế",
             "Công an tỉnh", "Sở Lao động - Thương binh và Xã hội", "Sở Nông nghiệp và Phát triển nông thôn",
             "Sở Giao thông vận tải", "Sở Tư pháp", "Văn phòng Ủy ban nhân dân", "Thanh tra tỉnh"],
    "hdnd": ["Ủy ban nhân dân tỉnh", "Thường trực Hội đồng nhân dân", "các Ban của Hội đồng nhân dân",
             "các Tổ đại biểu Hội đồng nhân dân", "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh"],
    "so": ["Văn phòng Sở", "Phòng Quản lý ngân sách", "Phòng Tổ chức cán bộ", "Thanh tra Sở",
           "Phòng Kế hoạch - Tài chính", "Trung tâm Công nghệ thông tin", "các phòng chuyên môn",
           "Ủy ban nhân dân các huyện, thị xã, thành phố"],
    "phong": ["Ủy ban nhân dân các phường", "Ủy ban nhân dân các xã, thị trấn", "Văn phòng HĐND và UBND",
              "Phòng Tài chính - Kế hoạch", "Phòng Giáo dục và Đào tạo", "Phòng Tài nguyên và Môi trường"],
    "bo": ["Vụ Tổ chức cán bộ", "Vụ Pháp chế", "Văn phòng Bộ", "Thanh tra Bộ", "Vụ Kế hoạch - Tài chính",
           "Cục Văn thư và Lưu trữ nhà nước", "các Sở Nội vụ", "các đơn vị thuộc Bộ"],
    "cuc": ["Phòng Nghiệp vụ văn thư", "Phòng Nghiệp vụ lưu trữ", "Trung tâm Lưu trữ quốc gia I",
            "Trung tâm Lưu trữ quốc gia III", "Văn phòng Cục", "Trung tâm Tin học"],
    "vpcp": ["các Bộ, cơ quan ngang Bộ", "Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương",
             "Bộ Kế hoạch và Đầu tư", "Bộ Tài chính", "Bộ Nội vụ", "Bộ Tư pháp", "Bộ Công an"],
    "ttg": ["các Bộ, cơ quan ngang Bộ, cơ quan thuộc Chính phủ",
            "Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương", "Bộ Kế hoạch và Đầu tư",
            "Bộ Tài chính", "Bộ Nội vụ", "Bộ Thông tin và Truyền thông", "Văn phòng Chính phủ"],
    "cp": ["các Bộ, cơ quan ngang Bộ", "Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương",
           "Bộ Tư pháp", "Bộ Nội vụ", "Bộ Tài chính"],
}

#: Recipients printed in "Nơi nhận" (box 9b), by agency kind.
RECIPIENTS = {
    "ubnd": ["Thường trực Tỉnh ủy", "Thường trực HĐND tỉnh", "Chủ tịch, các PCT UBND tỉnh",
             "Các Sở, ban, ngành cấp tỉnh", "UBND các huyện, thị xã, thành phố", "Văn phòng Chính phủ",
             "Bộ Nội vụ", "Cổng Thông tin điện tử tỉnh", "Các PCVP UBND tỉnh", "Trung tâm Công báo - Tin học"],
    "hdnd": ["Ủy ban Thường vụ Quốc hội", "Văn phòng Quốc hội", "Văn phòng Chính phủ",
             "Thường trực Tỉnh ủy", "UBND tỉnh", "Đại biểu HĐND tỉnh", "UBND các huyện, thị xã, thành phố"],
    "so": ["UBND tỉnh (để b/c)", "Giám đốc, các PGĐ Sở", "Các phòng, đơn vị thuộc Sở",
           "UBND các huyện, thị xã, thành phố", "Sở Tài chính", "Sở Nội vụ", "Website Sở"],
    "phong": ["UBND quận (để b/c)", "Chủ tịch, các PCT UBND quận", "UBND các phường",
              "Các phòng, ban chuyên môn", "Văn phòng HĐND và UBND quận"],
    "bo": ["Thủ tướng Chính phủ (để b/c)", "Các Phó Thủ tướng Chính phủ", "Văn phòng Chính phủ",
           "Các Bộ, cơ quan ngang Bộ", "UBND các tỉnh, TP trực thuộc TW", "Sở Nội vụ các tỉnh, TP",
           "Bộ trưởng, các Thứ trưởng", "Cổng TTĐT Bộ"],
    "cuc": ["Bộ trưởng (để b/c)", "Thứ trưởng phụ trách", "Các đơn vị thuộc Cục", "Sở Nội vụ các tỉnh, TP",
            "Trung tâm Lưu trữ quốc gia I, II, III, IV"],
    "vpcp": ["Thủ tướng, các Phó Thủ tướng Chính phủ", "Các Bộ, cơ quan ngang Bộ",
             "UBND các tỉnh, TP trực thuộc TW", "VPCP: BTCN, các PCN, Trợ lý TTg", "Cổng TTĐT Chính phủ"],
    "ttg": ["Ban Bí thư Trung ương Đảng", "Thủ tướng, các Phó Thủ tướng Chính phủ",
            "Các Bộ, cơ quan ngang Bộ, cơ quan thuộc Chính phủ", "HĐND, UBND các tỉnh, TP trực thuộc TW",
            "Văn phòng Trung ương Đảng", "Văn phòng Quốc hội", "Kiểm toán nhà nước",
            "VPCP: BTCN, các PCN, Trợ lý TTg, TGĐ Cổng TTĐT"],
    "cp": ["Ban Bí thư Trung ương Đảng", "Thủ tướng, các Phó Thủ tướng Chính phủ",
           "Các Bộ, cơ quan ngang Bộ, cơ quan thuộc Chính phủ", "HĐND, UBND các tỉnh, TP trực thuộc TW",
           "Văn phòng Quốc hội", "Tòa án nhân dân tối cao", "Viện kiểm sát nhân dân tối cao",
           "Kiểm toán nhà nước", "VPCP: BTCN, các PCN, Trợ lý TTg, TGĐ Cổng TTĐT, Công báo"],
}

#: Upward recipients for "Kính gửi:" of a Tờ trình or an upward Báo cáo, by kind.
SUPERIORS = {
    "ubnd": ["Thủ tướng Chính phủ", "Bộ Nội vụ", "Bộ Tài chính", "Hội đồng nhân dân tỉnh"],
    "hdnd": ["Ủy ban Thường vụ Quốc hội"],
    "so": ["Ủy ban nhân dân tỉnh", "Chủ tịch Ủy ban nhân dân tỉnh", "Bộ Tài chính"],
    "phong": ["Ủy ban nhân dân quận", "Chủ tịch Ủy ban nhân dân quận"],
    "bo": ["Thủ tướng Chính phủ", "Chính phủ"],
    "cuc": ["Bộ trưởng Bộ Nội vụ", "Lãnh đạo Bộ Nội vụ"],
    "vpcp": ["Thủ tướng Chính phủ"],
    "ttg": ["Ban Bí thư Trung ương Đảng"],
    "cp": ["Ủy ban Thường vụ Quốc hội", "Quốc hội"],
}

# ---------------------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------------------
SURNAMES = [("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 4), ("Phan", 4),
            ("Vũ", 4), ("Võ", 3), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 1), ("Ngô", 1), ("Dương", 1),
            ("Lý", 1), ("Đinh", 1), ("Trịnh", 1), ("Đoàn", 1), ("Lương", 1), ("Mai", 1), ("Tạ", 1), ("Hà", 1),
            ("Lâm", 1), ("Chu", 1), ("Cao", 1), ("Kiều", 1), ("Quách", 1), ("Thái", 1), ("Tô", 1)]
MIDDLE_MALE = ["Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Xuân", "Công", "Đình", "Mạnh", "Ngọc", "Tiến",
               "Quang", "Hoàng", "Anh", "Trọng", "Duy", "Thế", "Bá", "Khắc", "Việt", "Hồng"]
MIDDLE_FEMALE = ["Thị", "Thu", "Thanh", "Ngọc", "Minh", "Thúy", "Kim", "Hồng", "Phương", "Mai", "Diệu",
                 "Bích", "Thị Thu", "Thị Kim", "Thị Thanh", "Hải"]
GIVEN_MALE = ["Hùng", "Dũng", "Thắng", "Tuấn", "Hải", "Sơn", "Trung", "Nghĩa", "Long", "Quân", "Cường",
              "Hiếu", "Bình", "Tâm", "Phúc", "Khang", "Thành", "Toàn", "Vinh", "Lâm", "Huy", "Đạt", "Kiên",
              "Thịnh", "Khải", "Lực", "Tùng", "Chiến", "Tuyến", "Thuận", "Hưng", "Định", "Khoa", "Đông",
              "Quyết", "Lộc", "Phước", "Trường", "Vượng", "Sỹ", "Hoan", "Nhân", "Ước"]
GIVEN_FEMALE = ["Lan", "Hương", "Hà", "Phương", "Thủy", "Hạnh", "Huyền", "Trang", "Nga", "Hằng", "Linh",
                "Yến", "Loan", "Ngọc", "Thảo", "Hồng", "Dung", "Oanh", "Nhung", "Liên", "Vân", "Thư", "Hiền",
                "Ngân", "Tuyết", "Xuân", "Quyên", "Nguyệt", "Diệp", "Khuê"]

# ---------------------------------------------------------------------------------------
# Subjects
# ---------------------------------------------------------------------------------------
#: Topics: noun phrases that fit after "về", "triển khai", "công tác ..." etc.
TOPICS = [
    "công tác phòng, chống thiên tai và tìm kiếm cứu nạn",
    "chuyển đổi số trong hoạt động của cơ quan nhà nước",
    "cải cách thủ tục hành chính",
    "quản lý, sử dụng tài sản công",
    "công tác văn thư, lưu trữ",
    "số hóa tài liệu lưu trữ",
    "chỉnh lý tài liệu lưu trữ tồn đọng",
    "ứng dụng chữ ký số trong trao đổi văn bản điện tử",
    "phòng cháy, chữa cháy và cứu nạn, cứu hộ",
    "bảo vệ môi trường và ứng phó với biến đổi khí hậu",
    "xây dựng nông thôn mới",
    "giải ngân vốn đầu tư công",
    "tinh giản biên chế và cơ cấu lại đội ngũ công chức, viên chức",
    "thực hành tiết kiệm, chống lãng phí",
    "bảo đảm an toàn thực phẩm",
    "bảo đảm trật tự, an toàn giao thông",
    "quản lý trật tự xây dựng đô thị",
    "tuyển dụng công chức",
    "nâng bậc lương thường xuyên và trước thời hạn",
    "đào tạo, bồi dưỡng cán bộ, công chức, viên chức",
    "cấp giấy chứng nhận quyền sử dụng đất",
    "thu ngân sách nhà nước",
    "cung cấp dịch vụ công trực tuyến toàn trình",
    "phòng, chống tham nhũng, tiêu cực",
    "giảm nghèo bền vững",
    "phát triển du lịch cộng đồng",
    "quy hoạch sử dụng đất",
    "thi đua, khen thưởng",
    "kiểm soát thủ tục hành chính",
    "bảo đảm an toàn, an ninh thông tin mạng",
    "xây dựng Chính phủ điện tử, chính quyền số",
    "quản lý nhà nước về tín ngưỡng, tôn giáo",
    "phổ biến, giáo dục pháp luật",
    "tổ chức kỳ thi tốt nghiệp trung học phổ thông",
    "tiếp công dân, giải quyết khiếu nại, tố cáo",
    "sắp xếp lại, xử lý nhà, đất thuộc sở hữu nhà nước",
    "quản lý, vận hành Hệ thống quản lý văn bản và điều hành",
    "phòng, chống dịch bệnh truyền nhiễm",
    "bảo hiểm xã hội, bảo hiểm y tế",
    "quản lý, bảo vệ rừng",
    "phát triển kinh tế tập thể, hợp tác xã",
    "kiểm tra, rà soát văn bản quy phạm pháp luật",
    "xây dựng cơ sở dữ liệu quốc gia về dân cư",
    "thực hiện dân chủ ở cơ sở",
    "sắp xếp đơn vị hành chính cấp huyện, cấp xã",
]

#: Subject templates per type abbreviation ("CV" = Công văn, "THU" = Thư công).  Slots:
#: {topic}, {year}, {y5} (year + 5), {agency} (the agency's short name), {n} (a count).
SUBJECTS = {
    "QĐ": ["Về việc phê duyệt Kế hoạch {topic} năm {year}", "Về việc thành lập Tổ công tác về {topic}",
           "Về việc ban hành Quy chế {topic}", "Về việc giao chỉ tiêu {topic} năm {year}",
           "Về việc kiện toàn Ban Chỉ đạo {topic}", "Về việc phê duyệt danh mục hồ sơ năm {year}",
           "Về việc nâng bậc lương đối với công chức, viên chức năm {year}"],
    "NQ": ["Về nhiệm vụ {topic} năm {year}", "Thông qua Đề án {topic} giai đoạn {year} - {y5}",
           "Quy định một số chính sách hỗ trợ {topic}"],
    "CT": ["Về việc tăng cường {topic}", "Về việc đẩy mạnh {topic}", "Về việc chấn chỉnh {topic}",
           "Về một số giải pháp {topic} năm {year}"],
    "QC": ["Phối hợp trong {topic}", "Quản lý và thực hiện {topic}", "Làm việc của Tổ công tác về {topic}"],
    "QyĐ": ["Về {topic}", "Về trình tự, thủ tục {topic}", "Về phân cấp {topic}"],
    "TC": ["Về kết quả phiên họp về {topic}", "Về {topic} năm {year}"],
    "TB": ["Kết luận của Lãnh đạo tại cuộc họp về {topic}", "Về việc tổ chức {topic} năm {year}",
           "Về kết quả kiểm tra {topic}"],
    "HD": ["Thực hiện {topic} năm {year}", "Về nghiệp vụ {topic}", "Triển khai {topic}"],
    "CTr": ["Công tác {topic} năm {year}", "Hành động thực hiện {topic} giai đoạn {year} - {y5}"],
    "KH": ["Triển khai {topic} năm {year}", "Thực hiện {topic} giai đoạn {year} - {y5}",
           "Kiểm tra {topic} năm {year}"],
    "PA": ["Tổ chức {topic} năm {year}", "Bảo đảm {topic}", "Sắp xếp, bố trí nhân lực thực hiện {topic}"],
    "ĐA": ["Nâng cao hiệu quả {topic} giai đoạn {year} - {y5}", "Đổi mới {topic} đến năm {y5}"],
    "DA": ["Đầu tư hạ tầng phục vụ {topic}", "Xây dựng cơ sở dữ liệu {topic}"],
    "BC": ["Kết quả thực hiện {topic} năm {year}", "Tình hình {topic} 6 tháng đầu năm {year}",
           "Sơ kết {n} năm thực hiện {topic}", "Tổng kết công tác {topic} năm {year}"],
    "BB": ["Họp Hội đồng xác định giá trị tài liệu năm {year}", "Hội nghị sơ kết {topic}",
           "Kiểm tra {topic}", "Bàn giao hồ sơ, tài liệu vào Lưu trữ cơ quan năm {year}"],
    "TTr": ["Về việc đề nghị phê duyệt {topic} năm {year}", "Đề nghị bổ sung kinh phí thực hiện {topic}",
            "Về dự thảo Quyết định ban hành Quy chế {topic}"],
    "HĐ": ["Về việc cung cấp dịch vụ {topic}", "Về việc tư vấn, hỗ trợ {topic} năm {year}"],
    "CĐ": ["Về việc chủ động ứng phó với bão số {n}", "Về việc tập trung chỉ đạo {topic}",
           "Về việc khẩn trương khắc phục hậu quả mưa lũ"],
    "BGN": ["Về hợp tác trong lĩnh vực {topic}", "Về phối hợp thực hiện {topic} giai đoạn {year} - {y5}"],
    "BTT": ["Về phối hợp {topic}", "Về trao đổi thông tin trong {topic}"],
    "GUQ": ["Về việc ký các văn bản liên quan đến {topic}", "Về việc tham dự hội nghị về {topic}"],
    "GM": ["Dự Hội nghị sơ kết {topic}", "Họp bàn về {topic}", "Dự Hội nghị tập huấn về {topic}"],
    "GGT": ["Về việc liên hệ công tác về {topic}", "Về việc làm việc với các cơ quan về {topic}"],
    "GNP": ["Về việc nghỉ phép năm {year}", "Về việc nghỉ phép hằng năm của công chức năm {year}"],
    "PG": ["Về việc gửi tài liệu {topic}", "Về việc gửi hồ sơ {topic}"],
    "PC": ["Về việc chuyển đơn thư liên quan đến {topic}", "Về việc chuyển hồ sơ {topic}"],
    "PB": ["Về việc báo kết quả {topic}", "Về việc báo lịch làm việc về {topic}"],
    "CV": ["triển khai {topic}", "báo cáo kết quả {topic} năm {year}", "góp ý dự thảo văn bản về {topic}",
           "tăng cường {topic}", "đôn đốc thực hiện {topic}", "hướng dẫn {topic}", "nâng bậc lương năm {year}",
           "cung cấp thông tin phục vụ {topic}", "rà soát, đánh giá {topic}"],
    "THU": ["Chúc mừng Ngày Thầy thuốc Việt Nam năm {year}", "Cảm ơn sự phối hợp trong {topic}",
            "Chúc mừng năm mới {year}", "Kêu gọi chung tay hỗ trợ {topic}"],
    "NĐ": ["Quy định chi tiết một số điều về {topic}", "Quy định về {topic}",
           "Sửa đổi, bổ sung một số điều về {topic}"],
    "TT": ["Hướng dẫn thực hiện {topic}", "Quy định chế độ báo cáo về {topic}",
           "Quy định chi tiết về {topic}"],
}

# ---------------------------------------------------------------------------------------
# Legal bases ("Căn cứ ...").  (name, year, month, day) — real laws with real dates.
# ---------------------------------------------------------------------------------------
LAWS = [
    ("Luật Tổ chức chính quyền địa phương", 2015, 6, 19),
    ("Luật Tổ chức Chính phủ", 2015, 6, 19),
    ("Luật sửa đổi, bổ sung một số điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính quyền địa phương",
     2019, 11, 22),
    ("Luật Ban hành văn bản quy phạm pháp luật", 2015, 6, 22),
    ("Luật Ngân sách nhà nước", 2015, 6, 25),
    ("Luật Cán bộ, công chức", 2008, 11, 13),
    ("Luật Viên chức", 2010, 11, 15),
    ("Luật Lưu trữ", 2011, 11, 11),
    ("Luật Giao dịch điện tử", 2023, 6, 22),
    ("Luật Đầu tư công", 2019, 6, 13),
    ("Luật Phòng, chống thiên tai", 2013, 6, 19),
    ("Luật Đất đai", 2013, 11, 29),
    ("Luật Xây dựng", 2014, 6, 18),
    ("Luật Bảo vệ môi trường", 2020, 11, 17),
    ("Luật Quy hoạch", 2017, 11, 24),
    ("Luật Thực hành tiết kiệm, chống lãng phí", 2013, 11, 26),
    ("Luật Phòng, chống tham nhũng", 2018, 11, 20),
    ("Luật Kế toán", 2015, 11, 20),
    ("Luật Quản lý, sử dụng tài sản công", 2017, 6, 21),
    ("Luật An toàn thông tin mạng", 2015, 11, 19),
    ("Luật Công nghệ thông tin", 2006, 6, 29),
    ("Luật Thi đua, khen thưởng", 2003, 11, 26),
    ("Luật Tiếp cận thông tin", 2016, 4, 6),
]
DECREES = [
    ("Nghị định số 30/2020/NĐ-CP", "của Chính phủ về công tác văn thư", 2020, 3, 5),
    ("Nghị định số 64/2007/NĐ-CP", "của Chính phủ về ứng dụng công nghệ thông tin trong hoạt động của cơ quan "
     "nhà nước", 2007, 4, 10),
    ("Nghị định số 138/2020/NĐ-CP", "của Chính phủ quy định về tuyển dụng, sử dụng và quản lý công chức",
     2020, 11, 27),
    ("Nghị định số 45/2020/NĐ-CP", "của Chính phủ về thực hiện thủ tục hành chính trên môi trường điện tử",
     2020, 4, 8),
    ("Nghị định số 61/2018/NĐ-CP", "của Chính phủ về thực hiện cơ chế một cửa, một cửa liên thông trong giải "
     "quyết thủ tục hành chính", 2018, 4, 23),
    ("Nghị định số 34/2016/NĐ-CP", "của Chính phủ quy định chi tiết một số điều và biện pháp thi hành Luật Ban "
     "hành văn bản quy phạm pháp luật", 2016, 5, 14),
    ("Nghị định số 163/2016/NĐ-CP", "của Chính phủ quy định chi tiết thi hành một số điều của Luật Ngân sách "
     "nhà nước", 2016, 12, 21),
    ("Nghị định số 151/2017/NĐ-CP", "của Chính phủ quy định chi tiết một số điều của Luật Quản lý, sử dụng tài "
     "sản công", 2017, 12, 26),
]

# ---------------------------------------------------------------------------------------
# Sentence vocabulary
# ---------------------------------------------------------------------------------------
TASK_VERBS = ["chủ trì, phối hợp với", "phối hợp chặt chẽ với", "hướng dẫn, đôn đốc", "chỉ đạo, phối hợp với"]
ACTIONS = ["rà soát", "kiểm tra", "tổng hợp", "đánh giá", "triển khai", "hướng dẫn", "theo dõi",
           "tham mưu", "xây dựng", "hoàn thiện", "thẩm định", "cập nhật", "số hóa", "chỉnh lý"]
OBJECTS = ["hồ sơ", "văn bản", "báo cáo", "thủ tục hành chính", "đề xuất", "dự toán", "hồ sơ, tài liệu",
           "cơ sở dữ liệu", "danh mục", "phương án", "kế hoạch chi tiết", "tài liệu lưu trữ"]
MANNERS = ["bảo đảm đúng quy định của pháp luật", "bảo đảm tiết kiệm, hiệu quả",
           "bảo đảm chất lượng, đúng tiến độ", "công khai, minh bạch", "không để chậm trễ, ách tắc",
           "bảo đảm an toàn, an ninh thông tin", "tránh hình thức, lãng phí", "phù hợp với tình hình thực tế"]
QUALITIES = ["đồng bộ, thống nhất", "thiết thực, hiệu quả", "kịp thời, đầy đủ", "chặt chẽ, đúng quy trình",
             "nghiêm túc, khách quan", "khoa học, hợp lý"]
FUNDS = ["ngân sách nhà nước", "nguồn kinh phí chi thường xuyên", "nguồn vốn đầu tư công trung hạn",
         "nguồn xã hội hóa và các nguồn hợp pháp khác", "dự toán chi ngân sách được giao"]
ACHIEVEMENTS = ["hoàn thành", "số hóa", "tiếp nhận", "giải quyết", "kiểm tra", "chỉnh lý", "cập nhật"]
UNITS_COUNT = ["hồ sơ", "mét giá tài liệu", "thủ tục hành chính", "cuộc kiểm tra", "lượt công dân",
               "văn bản điện tử", "đơn vị", "cán bộ, công chức"]
DIFFICULTIES = ["nguồn nhân lực còn mỏng", "cơ sở hạ tầng công nghệ thông tin chưa đồng bộ",
                "kinh phí bố trí còn hạn chế", "một số đơn vị chưa thực sự quan tâm",
                "quy trình phối hợp giữa các cơ quan chưa chặt chẽ", "khối lượng tài liệu tồn đọng lớn"]
SECTION_TITLES = {
    "sections": ["MỤC ĐÍCH, YÊU CẦU", "NỘI DUNG", "NHIỆM VỤ VÀ GIẢI PHÁP", "TỔ CHỨC THỰC HIỆN",
                 "KINH PHÍ THỰC HIỆN", "TIẾN ĐỘ THỰC HIỆN", "PHÂN CÔNG TRÁCH NHIỆM"],
    "report": ["TÌNH HÌNH TRIỂN KHAI", "KẾT QUẢ ĐẠT ĐƯỢC", "TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN",
               "PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI", "ĐỀ XUẤT, KIẾN NGHỊ"],
    "submission": ["SỰ CẦN THIẾT", "CĂN CỨ PHÁP LÝ", "NỘI DUNG ĐỀ NGHỊ", "KINH PHÍ VÀ NGUỒN KINH PHÍ",
                   "KIẾN NGHỊ"],
}
SUB_TITLES = ["Mục đích", "Yêu cầu", "Nhiệm vụ trọng tâm", "Giải pháp thực hiện", "Kết quả cụ thể",
              "Trách nhiệm của các cơ quan, đơn vị", "Chế độ thông tin, báo cáo", "Kinh phí",
              "Những mặt đạt được", "Hạn chế, tồn tại", "Nguyên nhân", "Kiến nghị, đề xuất"]
ARTICLE_TITLES = ["Phạm vi điều chỉnh", "Đối tượng áp dụng", "Giải thích từ ngữ", "Nguyên tắc thực hiện",
                  "Trách nhiệm của cơ quan chủ trì", "Trách nhiệm của cơ quan phối hợp", "Trình tự thực hiện",
                  "Hồ sơ, thủ tục", "Chế độ báo cáo", "Kinh phí thực hiện", "Kiểm tra, giám sát",
                  "Khen thưởng và xử lý vi phạm", "Tổ chức thực hiện", "Quyền và nghĩa vụ của các bên",
                  "Thời hạn thực hiện", "Điều khoản thi hành"]
CHAPTER_TITLES = ["QUY ĐỊNH CHUNG", "QUY ĐỊNH CỤ THỂ", "TRÁCH NHIỆM CỦA CÁC CƠ QUAN, TỔ CHỨC",
                  "TỔ CHỨC THỰC HIỆN", "ĐIỀU KHOẢN THI HÀNH"]
VENUES = ["Hội trường tầng 3, trụ sở {short}", "Phòng họp số 2, trụ sở {short}",
          "Trung tâm Hội nghị tỉnh", "Phòng họp trực tuyến của {short}"]
STORM_NUMBERS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
OCCASIONS = ["Tết Nguyên đán", "Ngày Quốc khánh 2/9", "Ngày Nhà giáo Việt Nam 20/11",
             "Ngày Lưu trữ Việt Nam 03/01"]

SECURITY_LEVELS = ["MẬT", "TỐI MẬT", "TUYỆT MẬT"]
URGENCY_LEVELS = ["KHẨN", "THƯỢNG KHẨN", "HỎA TỐC"]
AUTHORITY_PREFIXES = ["TM.", "KT.", "Q.", "TL.", "TUQ."]
