"""Where the tests find the servers they need, and what they do when one is missing.

``tests/servers/start`` prints the environment (``LUUTRU_TEST_POSTGRES_URL=…``, ``OPENSEARCH_URL=…``,
…) and writes the same lines to ``$LUUTRU_SERVERS_DIR/env`` (default ``/tmp/luutru-servers/env``).
``.ci/run`` exports them; on a developer machine a plain ``pytest`` reads that file for every
variable the environment does not set (``load_servers_env``), so the started servers are used
without exporting anything. Under ``CI=true`` every service a test needs is required: a test fails
when it cannot reach it (``service_unavailable``); elsewhere it skips.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

SERVER_VARIABLES = ("LUUTRU_TEST_POSTGRES_URL", "LUUTRU_TEST_REDIS_URL", "OPENSEARCH_URL", "TIKA_URL",
                    "LUUTRU_TEST_TIKA_SERVER", "LUUTRU_TEST_S3_ENDPOINT", "LUUTRU_TEST_S3_ACCESS_KEY",
                    "LUUTRU_TEST_S3_SECRET_KEY", "LUUTRU_TEST_S3_SERVER")
"""What tests/servers/start may print (and the only names read back from its env file)."""


def servers_env_file() -> Path:
    return Path(os.environ.get("LUUTRU_SERVERS_DIR") or "/tmp/luutru-servers") / "env"


def load_servers_env(path: Path | None = None) -> dict[str, str]:
    """Set, from tests/servers/start's env file, each server variable the environment lacks; returns
    what was set. A variable already set (even empty) wins, so ``OPENSEARCH_URL= pytest`` still runs
    without OpenSearch."""
    path = path or servers_env_file()
    loaded: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return loaded
    for line in lines:
        name, sep, value = line.strip().partition("=")
        if sep and name in SERVER_VARIABLES and name not in os.environ:
            os.environ[name] = value
            loaded[name] = value
    return loaded


def service_unavailable(what: str, error: Exception | str) -> None:
    """Fail under CI (services are required there), skip elsewhere."""
    message = f"{what} is not reachable: {error}"
    if IN_CI:
        pytest.fail(message + " (required with CI=true)")
    pytest.skip(message)


def opensearch_backend(index_prefix: str):
    """An OpenSearchBackend on the cluster of ``OPENSEARCH_URL`` (``LUUTRU_TEST_OPENSEARCH_USER`` /
    ``_PASSWORD`` / ``_VERIFY`` optional); fails under CI, skips elsewhere, when there is none or it
    does not answer (a stale env file of a stopped tests/servers/start)."""
    url = os.environ.get("OPENSEARCH_URL")
    if not url:
        service_unavailable("OpenSearch", "OPENSEARCH_URL is not set (tests/servers/start)")
    from search.opensearch import OpenSearchBackend

    try:
        return OpenSearchBackend(url, index_prefix=index_prefix, user=os.environ.get("LUUTRU_TEST_OPENSEARCH_USER"),
                                 password=os.environ.get("LUUTRU_TEST_OPENSEARCH_PASSWORD"),
                                 verify_certs=os.environ.get("LUUTRU_TEST_OPENSEARCH_VERIFY", "1") == "1")
    except Exception as exc:  # noqa: BLE001 - connection refused, TLS, authentication
        service_unavailable(f"OpenSearch at {url}", exc)
