# syntax=docker/dockerfile:1
# One image for every Taitotaso service, the speech worker and the migration job; what runs
# is chosen by the command (deploy/compose.yaml, deploy/k8s):
#   gunicorn -c deploy/gunicorn/<service>.py      testing, authoring, scoring, results, library
#   taitotaso worker                              RQ worker for queued speech scoring
#   taitotaso db upgrade                          Alembic migrations, once before the services
#
#   docker build -t ghcr.io/taitotaso/taitotaso:$(git rev-parse --short HEAD) .
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The Debian packages of `make system-deps`, less Chromium (only the e2e tests use it):
# Voikko (Finnish morphology), eSpeak NG and SoX (listening audio), Pango and a font
# (WeasyPrint's PDFs).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libvoikko1 voikko-fi espeak-ng sox libsox-fmt-base \
      libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# The CPU build of torch first: resolved from PyPI, torch==2.13.0 is a multi-GB CUDA build.
# `pip install .` below then finds the pin satisfied (2.13.0+cpu matches ==2.13.0).
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

# The dependencies, in their own layer so that a change of the source does not download
# them again: with only pyproject.toml (and the README it names) the project installs its
# dependencies and the `taitotaso` command, and no packages of its own.
# PyPI's torchaudio is a CUDA build whose compiled extension cannot load beside the CPU
# torch; speechbrain only needs its pure-Python parts: its .so files go (as in the Makefile).
COPY pyproject.toml README.md ./
RUN pip install . \
 && rm -f /usr/local/lib/python3.11/site-packages/torchaudio/lib/*.so

# The code runs from /app, not from site-packages: services/common/db.py finds the Alembic
# migrations in deploy/migrations beside the source, and the gunicorn configs are in
# deploy/gunicorn. PYTHONPATH also lets the `taitotaso` command import it from here.
ENV PYTHONPATH=/app
COPY assessment ./assessment
COPY item_bank ./item_bank
COPY scoring ./scoring
COPY services ./services
COPY deploy ./deploy
RUN pybabel compile -d services/translations

# A fixed numeric user, so that Kubernetes' runAsNonRoot can check it (deploy/k8s runs as
# 10001 too). Writable places: var/ (the embedded default's files, unused with
# DATABASE_URL), the model cache, the signing-key mount point and /tmp; in Kubernetes the
# root filesystem is read-only and these are volumes.
RUN groupadd --system --gid 10001 taitotaso \
 && useradd --system --uid 10001 --gid 10001 --home-dir /home/taitotaso --create-home \
      --shell /usr/sbin/nologin taitotaso \
 && mkdir -p /app/var /var/cache/taitotaso/models /var/run/taitotaso/keys \
 && chown -R 10001:10001 /app/var /var/cache/taitotaso /var/run/taitotaso
# Caches (fontconfig's, for WeasyPrint) and gunicorn's control socket go to /tmp, which
# is writable where the root filesystem is not.
ENV TAITOTASO_MODEL_CACHE=/var/cache/taitotaso/models \
    XDG_CACHE_HOME=/tmp/.cache \
    XDG_RUNTIME_DIR=/tmp
USER 10001:10001

EXPOSE 8000
CMD ["gunicorn", "-c", "deploy/gunicorn/testing.py"]
