"""The quarantine: every rejected file is kept with its reason; nothing is dropped silently.

Layout: ``<data>/quarantine/<YYYY-MM-DD>/<uuid>/<file name>`` plus ``reason.json``. The file is
copied (the source may be a user's folder) with fsync, then the reason is written.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

from archive.domain import safe_filename


class Quarantine:
    def __init__(self, root: Path):
        self.root = Path(root)

    def put(self, path: Path, *, name: str, code: str, message_vi: str, message_en: str,
            sha256: str | None, submitter: str, source: str) -> Path:
        now = datetime.now(UTC)
        folder = self.root / now.strftime("%Y-%m-%d") / uuid.uuid4().hex
        folder.mkdir(parents=True)
        target = folder / safe_filename(name)
        if path.is_file():
            with open(path, "rb") as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)
                dst.flush()
                os.fsync(dst.fileno())
        reason = {"code": code, "message_vi": message_vi, "message_en": message_en, "sha256": sha256,
                  "file": target.name if path.is_file() else None, "source_path": str(path),
                  "submitter": submitter, "source": source, "at": now.isoformat()}
        (folder / "reason.json").write_text(json.dumps(reason, ensure_ascii=False, indent=2), encoding="utf-8")
        return folder

    def list(self) -> list[dict]:
        out = []
        for reason in sorted(self.root.glob("*/*/reason.json")):
            data = json.loads(reason.read_text(encoding="utf-8"))
            data["folder"] = str(reason.parent)
            out.append(data)
        return out
