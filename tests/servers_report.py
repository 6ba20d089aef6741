"""Which real servers the tests used: the header names each configured server (with the version it
reports), the summary counts the tests that passed against each (by marker), so a run that skipped
them all cannot pass for one that ran them."""

from __future__ import annotations

import json
import os
import urllib.request
from collections import Counter

MARKERS = {
    "postgres": "PostgreSQL",
    "redis": "Redis",
    "opensearch": "OpenSearch",
    "tika_server": "Tika server",
    "s3_server": "S3 server",
}
_passed: Counter[str] = Counter()
_skipped: Counter[str] = Counter()


def _get_json(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - a configured test URL
            return json.loads(response.read().decode())
    except Exception:  # noqa: BLE001 - only informative
        return None


def _get_text(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - a configured test URL
            return response.read().decode().strip()
    except Exception:  # noqa: BLE001
        return None


def describe_servers() -> list[str]:
    """One line per server the environment names."""
    lines = []
    if url := os.environ.get("LUUTRU_TEST_POSTGRES_URL"):
        lines.append(f"PostgreSQL: {url}")
    if url := os.environ.get("LUUTRU_TEST_REDIS_URL"):
        lines.append(f"Redis: {url}")
    if url := os.environ.get("OPENSEARCH_URL"):
        info = _get_json(url)
        version = info["version"]["number"] if info else "not answering"
        lines.append(f"OpenSearch: {url} ({version})")
    if url := os.environ.get("TIKA_URL"):
        version = _get_text(url.rstrip("/") + "/version") or "not answering"
        kind = os.environ.get("LUUTRU_TEST_TIKA_SERVER", "")
        lines.append(f"Tika: {url} ({version}{'; ' + kind if kind else ''})")
    if endpoint := os.environ.get("LUUTRU_TEST_S3_ENDPOINT"):
        lines.append(f"S3: {endpoint} ({os.environ.get('LUUTRU_TEST_S3_SERVER', 'unnamed')}), and moto in-process")
    else:
        lines.append("S3: moto in-process only (LUUTRU_TEST_S3_ENDPOINT unset)")
    return lines


def pytest_report_header(config):
    return ["servers: " + line for line in describe_servers()]


def pytest_runtest_logreport(report):
    for marker in MARKERS:
        if marker in report.keywords:
            if report.when == "call" and report.passed:
                _passed[marker] += 1
            elif report.skipped:
                _skipped[marker] += 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    terminalreporter.section("real servers used")
    for marker, name in MARKERS.items():
        terminalreporter.write_line(f"{name}: {_passed[marker]} tests passed against it, {_skipped[marker]} skipped")
