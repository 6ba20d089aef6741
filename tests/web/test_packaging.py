"""``pip install`` sets the web application up: every template, static file, vendored file with
its licence and message catalogue of ``api/web`` is package data (pyproject.toml), so a wheel
carries them — no build step, no CDN."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_file_of_the_web_application_is_package_data():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    patterns = data["api.web"]
    web = ROOT / "api" / "web"
    files = [p.relative_to(web).as_posix() for p in web.rglob("*")
             if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    assert any(f.endswith("htmx.min.js") for f in files) and any(f.endswith("messages.po") for f in files)
    missing = [f for f in files if not any(fnmatch.fnmatchcase(f, pat) and f.count("/") == pat.count("/")
                                           for pat in patterns)]
    assert missing == []
    for folder in ("htmx", "swagger-ui"):
        assert (web / "static" / "vendor" / folder / "LICENSE").is_file()
