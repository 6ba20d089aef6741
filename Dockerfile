# luutru — image for the API (`luutru serve`), the Celery worker (`luutru worker`), Celery beat
# (`luutru beat`) and the one-shot `luutru init`. One image, the command picks the role.
#
#   docker build -t luutru:local .
#   docker run --rm luutru:local --help
#
# Debian bookworm, Python 3.11. Every Python dependency installs from a binary wheel (no compiler
# in the image). The process runs as the unprivileged user `luutru` (uid/gid 10001).

ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

# ---------------------------------------------------------------------------------------------
# Build stage: a virtual environment in /opt/luutru with the dependencies, then the project.
# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/luutru
ENV PATH=/opt/luutru/bin:$PATH

WORKDIR /src

# Dependencies first, read from pyproject.toml, so that a code change does not reinstall them; every
# package at the exact version of constraints.txt (the versions the tests ran with), so two builds
# of one commit install the same code.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; open('/tmp/requirements.txt', 'w').write('\n'.join(deps) + '\n')" \
    && pip install -c constraints.txt -r /tmp/requirements.txt

# Then the project itself (.dockerignore keeps .env, .git, .venv, data and tests out).
COPY . .
RUN pip install -c constraints.txt . \
    && test -x /opt/luutru/bin/luutru \
    && python -c "import api.cli"

# ---------------------------------------------------------------------------------------------
# Preservation tools (deploy/tools/install): Siegfried from the Go module proxy, its signature
# file built from the PRONOM data the module ships; veraPDF from Maven Central. Both land in
# /opt/tools, copied as is into the runtime stage.
# ---------------------------------------------------------------------------------------------
FROM golang:1.22-bookworm AS siegfried
COPY deploy/tools /tools
RUN /tools/install /opt/tools sf

FROM maven:3.9-eclipse-temurin-17 AS verapdf
COPY deploy/tools /tools
RUN /tools/install /opt/tools verapdf

# ---------------------------------------------------------------------------------------------
# Runtime stage.
# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}

LABEL org.opencontainers.image.title="luutru" \
      org.opencontainers.image.description="Lưu trữ điện tử — electronic archive and search for Vietnamese government agencies" \
      org.opencontainers.image.licenses="Apache-2.0"

# fonts-dejavu-core: Vietnamese glyphs for the PDFs the archive renders.
# libfontconfig1: lets the embedded extractor's font manager find those fonts (used only when
# LUUTRU_EXTRACT__TIKA=embedded; the compose stack uses the Tika server).
# OCR of scans: tesseract-ocr with the Vietnamese model, Ghostscript (PDF/A), unpaper (cleaning),
# pngquant; LibreOffice without its GUI for the PDF/A-2b copies of DOCX/ODT/XLSX; a Java runtime
# for veraPDF. Every role of the image has them (the API OCRs uploads in-process on the embedded
# default; the Celery workers do in scale-out).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        fonts-dejavu-core \
        libfontconfig1 \
        tesseract-ocr tesseract-ocr-vie \
        ghostscript unpaper pngquant \
        libreoffice-writer-nogui libreoffice-calc-nogui \
        openjdk-17-jre-headless \
    && rm -rf /var/lib/apt/lists/*

COPY --from=siegfried /opt/tools /opt/tools
COPY --from=verapdf /opt/tools/lib/verapdf /opt/tools/lib/verapdf
COPY --from=verapdf /opt/tools/bin/verapdf /opt/tools/bin/verapdf

RUN groupadd --system --gid 10001 luutru \
    && useradd --system --uid 10001 --gid luutru --home-dir /var/lib/luutru --no-create-home \
        --shell /usr/sbin/nologin luutru \
    && install -d -o luutru -g luutru -m 0750 /var/lib/luutru

COPY --from=build /opt/luutru /opt/luutru

ENV PATH=/opt/luutru/bin:/opt/tools/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/var/lib/luutru \
    LUUTRU_DATA_DIR=/var/lib/luutru

# The data folder (catalogue keys, the archive's TSA key, trust anchors under trust/) is a volume.
# Created above owned by luutru, so a new named volume mounted here starts owned by luutru too.
VOLUME ["/var/lib/luutru"]
WORKDIR /var/lib/luutru

USER luutru:luutru

EXPOSE 8000

# Liveness of the API (`luutru serve`): /api/v1/health needs no token and answers 200 only while the
# API can serve (its catalogue answers); a refused connection, a timeout or a 503 fail the check.
# python, because the slim image has neither curl nor wget.
# Containers of this image that run `worker`, `beat` or `init` switch it off (docker-compose.yml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('LUUTRU_API__PORT', '8000'); r = urllib.request.urlopen('http://127.0.0.1:%s/api/v1/health' % port, timeout=4); sys.exit(0 if r.status == 200 else 1)"]

ENTRYPOINT ["luutru"]
CMD ["serve"]
