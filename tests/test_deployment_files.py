"""The deployment files against the code: docker-compose.yml and .env.example pass only settings the
application knows, pin every image, set the single-node values; the Dockerfile installs the exact
versions of constraints.txt, which pins every runtime dependency; and `docker-compose config -q`
accepts the file (as .ci/run checks it)."""

from __future__ import annotations

import re
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from archive.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[1]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def env_example() -> dict[str, str]:
    out = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            out[name.strip()] = value.strip().strip('"')
    return out


def _default(value: str) -> str:
    """``${NAME:-default}`` → ``default``; ``${NAME:?message}`` → a stand-in value; else as is."""
    value = re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", str(value))
    return re.sub(r"\$\{[A-Z0-9_]+:\?[^}]*\}", "x", value)


def test_every_luutru_variable_is_a_setting_the_application_accepts():
    """GIVEN the environment compose gives the luutru containers and the LUUTRU_* names of
    .env.example WHEN the application loads them THEN none is refused as unknown (an image name or
    another compose-only value must not carry the LUUTRU_ prefix)."""
    env = {k: _default(v) for k, v in compose()["x-luutru-environment"].items()}
    env |= {k: v for k, v in env_example().items() if k.startswith("LUUTRU_")}
    env["LUUTRU_API__SECRET_KEY"] = "x" * 32
    settings = load_settings(env)
    assert settings.search.opensearch_replicas == 0  # one OpenSearch node in compose
    with pytest.raises(SettingsError, match="LUUTRU_IMAGE"):
        load_settings({**env, "LUUTRU_IMAGE": "luutru:local"})  # why the image is APP_IMAGE


def test_every_image_is_pinned():
    """GIVEN the images of compose (their defaults) and .env.example and the Dockerfile's base
    image THEN each names an exact version: no bare major (``postgres:16``), no ``latest``."""
    images = [_default(s["image"]) for name, s in compose()["services"].items() if "image" in s]
    images += [v for k, v in env_example().items() if k.endswith("_IMAGE") and k != "APP_IMAGE"]
    images += re.findall(r"^ARG PYTHON_IMAGE=(\S+)", (ROOT / "Dockerfile").read_text(encoding="utf-8"), re.M)
    for image in images:
        if image == "luutru:local":
            continue  # built from this folder
        name, _, tag = image.rpartition(":")
        assert name and tag and tag != "latest", f"{image}: no version"
        assert re.search(r"\d+\.\d+|RELEASE\.\d{4}-", tag), f"{image}: not an exact version"


def test_the_dockerfile_installs_the_pinned_versions_of_every_dependency():
    """GIVEN constraints.txt WHEN compared with pyproject.toml's dependencies and, transitively,
    their own requirements (from the installed packages' metadata) THEN each is pinned with ``==``
    to a version its requirement allows, and the Dockerfile uses the file for both installs."""
    import tomllib

    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert dockerfile.count("-c constraints.txt") == 2 and "COPY pyproject.toml constraints.txt" in dockerfile
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep, f"constraints.txt: {line!r} is not name==version"
            pins[canonicalize_name(name)] = version.strip()
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    todo = [Requirement(d) for d in deps]
    seen: set[str] = set()
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        assert name in pins, f"{req} is not pinned in constraints.txt"
        assert req.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} does not satisfy {req}"
        key = name + "[" + ",".join(sorted(req.extras)) + "]"
        if key in seen:
            continue
        seen.add(key)
        for sub in metadata.requires(req.name) or []:
            r = Requirement(sub)
            if r.marker is None or any(r.marker.evaluate({"extra": e}) for e in (req.extras or {""})):
                todo.append(r)


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose is not installed (CI has it)")
def test_docker_compose_accepts_the_file(tmp_path):
    """GIVEN .env.example as the .env WHEN `docker-compose config -q` reads docker-compose.yml THEN
    it is valid (the same check as .ci/run)."""
    env = tmp_path / ".env"
    env.write_text((ROOT / ".env.example").read_text(encoding="utf-8"), encoding="utf-8")
    r = subprocess.run(["docker-compose", "--env-file", str(env), "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
                       capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0, r.stderr
