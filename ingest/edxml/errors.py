"""Rejections of an edXML message: a code, the Vietnamese message for officials, the English one.

Every failure of the parser or importer is an ``EdxmlRejected``; nothing else escapes
``parse_message`` (the Hypothesis tests check this), so the CLI and the API can always answer with
the code and the reason, and nothing of a rejected message is stored.
"""

from __future__ import annotations

REASONS: dict[str, tuple[str, str]] = {
    "empty_file": ("Tệp rỗng (0 byte)", "the file is empty"),
    "too_large": ("Thông điệp edXML vượt quá kích thước cho phép", "the edXML message is larger than allowed"),
    "unreadable": ("Không đọc được tệp nguồn", "the source file cannot be read"),
    "edxml_malformed": ("Tệp không phải XML hợp lệ (không đúng cú pháp)", "the file is not well-formed XML"),
    "edxml_forbidden_dtd": ("Tệp XML có khai báo DTD hoặc thực thể (ENTITY); bị từ chối vì lý do an toàn",
                            "the XML declares a DTD or entities, refused for safety"),
    "edxml_not_edxml": ("Tệp không phải thông điệp edXML (QCVN 102:2016)", "the file is not an edXML message"),
    "edxml_legacy_dialect": ("Thông điệp edXML kiểu cũ (trước QCVN 102:2016): cần nhập thủ công",
                             "a pre-2016 edXML message: enter it by hand"),
    "edxml_missing_field": ("Thông điệp edXML thiếu trường bắt buộc", "the edXML message lacks a required field"),
    "edxml_no_attachment": ("Thông điệp edXML không có tệp đính kèm nào", "the edXML message has no attachment"),
    "edxml_bad_attachment": ("Tệp đính kèm trong thông điệp edXML không giải mã được",
                             "an attachment of the edXML message cannot be decoded"),
    "edxml_attachment_too_large": ("Tệp đính kèm vượt quá kích thước cho phép hoặc có dấu hiệu bom nén",
                                   "an attachment is larger than allowed or looks like a decompression bomb"),
    "edxml_unsupported_business": ("Thông điệp thu hồi / cập nhật / thay thế văn bản chưa được hỗ trợ: "
                                   "cần xử lý thủ công", "recall, update and replacement messages are not "
                                   "supported yet: handle them by hand"),
    "edxml_status_unmatched": ("Thông điệp trạng thái không khớp văn bản nào trong kho: hãy nhập văn bản "
                               "trước rồi nhập lại", "the status message matches no archived document: "
                               "import the document first, then this message again"),
    "edxml_attachment_rejected": ("Tệp đính kèm chính bị từ chối khi nộp lưu",
                                  "the main attachment was rejected by the ingest pipeline"),
}


class EdxmlRejected(Exception):
    """The message is refused as a whole; ``code`` is stable, ``message_vi`` is for people."""

    def __init__(self, code: str, detail: str | None = None):
        vi, en = REASONS.get(code, (code, code))
        super().__init__(f"{en}: {detail}" if detail else en)
        self.code = code
        self.detail = detail
        self.message_vi = f"{vi} ({detail})" if detail else vi
        self.message_en = str(self)
