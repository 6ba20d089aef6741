"""Unpack an untrusted ZIP into a folder, refusing what could escape it or exhaust the machine.

Refused, each named in the report (``UnsafeZip.problems``), before any byte is written:

* a path that is absolute, has a drive letter, a backslash, a ``..`` part, a NUL or a control
  character (path traversal);
* a symbolic link or any entry that is not a plain file or folder (Unix mode in ``external_attr``);
* two entries with the same path (compared after NFC and case folding, so they cannot overwrite
  each other on a case-insensitive file system);
* more entries than ``max_entries``, a declared total size over ``max_total_bytes``, or an entry
  whose declared size is more than ``max_ratio`` times its compressed size (past 1 MiB: small
  text compresses well legitimately);
* encrypted entries.

While writing, the bytes actually produced are counted against the declared size and the total
limit, so a ZIP that lies in its headers stops there too. ``zipfile`` checks each entry's CRC-32.
"""

from __future__ import annotations

import hashlib
import re
import stat
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from archive.errors import ArchiveError

CHUNK = 1 << 20
RATIO_FLOOR = 1 << 20
_BAD = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class ZipLimits:
    max_total_bytes: int = 20 * 1024**3
    max_entries: int = 100_000
    max_ratio: int = 200


@dataclass(frozen=True)
class Problem:
    code: str
    path: str
    message_vi: str
    message_en: str

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "path": self.path, "message": self.message_vi, "message_en": self.message_en}


class UnsafeZip(ArchiveError):
    code = "package_invalid"

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("the package is refused: " + "; ".join(f"{p.path}: {p.message_en}" for p in problems[:20]),
                         "Gói tin bị từ chối: " + "; ".join(f"{p.path}: {p.message_vi}" for p in problems[:20]))


def _path_problem(name: str) -> str | None:
    if not name or _BAD.search(name):
        return "control character in the name"
    if "\\" in name:
        return "backslash in the name"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "absolute path"
    if any(part == ".." for part in PurePosixPath(name).parts):
        return "'..' in the path"
    return None


def check(zf: zipfile.ZipFile, limits: ZipLimits) -> list[Problem]:
    problems: list[Problem] = []
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        problems.append(Problem("too_many_entries", "", f"Gói có {len(infos)} mục, tối đa {limits.max_entries}",
                                f"{len(infos)} entries, at most {limits.max_entries}"))
    seen: dict[str, str] = {}
    total = 0
    for info in infos:
        name = info.filename
        why = _path_problem(name)
        if why:
            problems.append(Problem("unsafe_path", name[:200], f"Đường dẫn không an toàn ({why})", why))
            continue
        mode = info.external_attr >> 16
        if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # no type bits: a plain file
            kind = "symbolic link" if stat.S_ISLNK(mode) else "special file"
            problems.append(Problem("unsafe_entry", name, "Liên kết tượng trưng hoặc tệp đặc biệt không được phép",
                                    f"{kind} not allowed"))
            continue
        if info.flag_bits & 0x1:
            problems.append(Problem("encrypted", name, "Tệp trong gói bị mã hóa", "encrypted entry"))
        key = unicodedata.normalize("NFC", name.rstrip("/")).casefold()
        if key in seen:
            problems.append(Problem("duplicate_entry", name, f"Mục trùng tên với «{seen[key]}»",
                                    f"duplicate of {seen[key]!r}"))
        seen[key] = name
        total += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            problems.append(Problem("zip_bomb", name, f"Tỷ lệ nén bất thường ({info.file_size // max(info.compress_size, 1)}"
                                    f":1, tối đa {limits.max_ratio}:1): nghi ngờ bom nén",
                                    f"compression ratio above {limits.max_ratio}:1 (zip bomb)"))
    if total > limits.max_total_bytes:
        problems.append(Problem("too_large", "", f"Tổng dung lượng giải nén {total} byte vượt giới hạn "
                                f"{limits.max_total_bytes} byte", f"{total} bytes unpacked, at most {limits.max_total_bytes}"))
    return problems


def unpack(source: str | Path | BinaryIO, dest: Path, limits: ZipLimits,
           digests: dict[Path, tuple[str, int]] | None = None) -> list[str]:
    """Unpack ``source`` into ``dest`` (which must exist and be empty); returns the file paths
    written. Raises ``UnsafeZip`` with every problem found. ``digests`` receives each file's
    SHA-256 and size, computed while writing (the checker then need not read the files again)."""
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnsafeZip([Problem("not_zip", "", "Tệp không phải ZIP hợp lệ", f"not a valid ZIP: {exc}")]) from None
    with zf:
        problems = check(zf, limits)
        if problems:
            raise UnsafeZip(problems)
        written, total = [], 0
        root = dest.resolve()
        for info in zf.infolist():
            target = (root / info.filename).resolve()
            if not target.is_relative_to(root):  # belt and braces after the name check
                raise UnsafeZip([Problem("unsafe_path", info.filename, "Đường dẫn thoát khỏi thư mục gói", "escapes")])
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            size = 0
            sha = hashlib.sha256()
            try:
                with zf.open(info) as src, open(target, "xb") as dst:
                    while chunk := src.read(CHUNK):
                        size += len(chunk)
                        total += len(chunk)
                        if size > info.file_size or total > limits.max_total_bytes:
                            raise UnsafeZip([Problem("zip_bomb", info.filename, "Dữ liệu giải nén lớn hơn khai báo",
                                                     "more bytes than declared (zip bomb)")])
                        sha.update(chunk)
                        dst.write(chunk)
            except (zipfile.BadZipFile, zlib_error(), EOFError) as exc:
                raise UnsafeZip([Problem("corrupt_entry", info.filename, "Tệp trong gói bị hỏng (sai CRC hoặc dữ liệu)",
                                         f"damaged entry: {exc}")]) from None
            written.append(info.filename)
            if digests is not None:
                digests[target] = (sha.hexdigest(), size)
        return written


def zlib_error() -> type[Exception]:
    import zlib

    return zlib.error
