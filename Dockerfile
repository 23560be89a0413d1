# syntax=docker/dockerfile:1
# One image per Taitotaso service (issue 16), each with only the dependencies it needs: the
# extras of pyproject.toml. Only `scoring` and `worker` carry torch and the speech models.
#
#   target      image (deploy/k8s, deploy/compose.yaml)   runs
#   testing     ghcr.io/taitotaso/taitotaso-testing       gunicorn -c deploy/gunicorn/testing.py
#   authoring   ghcr.io/taitotaso/taitotaso-authoring     gunicorn -c deploy/gunicorn/authoring.py
#   results     ghcr.io/taitotaso/taitotaso-results       gunicorn -c deploy/gunicorn/results.py
#   library     ghcr.io/taitotaso/taitotaso-library       gunicorn -c deploy/gunicorn/library.py
#   scoring     ghcr.io/taitotaso/taitotaso-scoring       gunicorn -c deploy/gunicorn/scoring.py
#   worker      ghcr.io/taitotaso/taitotaso-worker        taitotaso worker (RQ, queued speech scoring)
#   migrate     ghcr.io/taitotaso/taitotaso-migrate       taitotaso db upgrade (Alembic), once
#                                                         before the services, and the seed
#
#   for t in testing authoring results library scoring worker migrate; do
#     docker build --target $t -t ghcr.io/taitotaso/taitotaso-$t:$(git rev-parse --short HEAD) .
#   done
#
# The stages share their lower layers (the base with Voikko, the core dependencies, the
# source), so a registry stores those once; `worker` is the `scoring` image with another
# command and adds no layer. Without --target, `docker build` builds the last stage
# (migrate). `python deploy/dependency_sizes.py` prints each set's size.

# -- base: what every image has -----------------------------------------------------------
FROM python:3.11-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Voikko (Finnish morphology: cloze partial credit, the writing scorer, the library's
# search) for every service. The other Debian packages of `make system-deps` only where
# they are used: eSpeak NG and SoX (listening audio, item_bank/audio.py) in authoring and
# migrate, Pango and a font (WeasyPrint's PDFs) in library; Chromium (the e2e tests) nowhere.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libvoikko1 voikko-fi \
 && rm -rf /var/lib/apt/lists/*

# A fixed numeric user, so that Kubernetes' runAsNonRoot can check it (deploy/k8s runs as
# 10001 too). Writable places: var/ (the embedded default's files, unused with
# DATABASE_URL), the model cache, the signing-key mount point and /tmp; in Kubernetes the
# root filesystem is read-only and these are volumes. Each target ends with USER 10001.
RUN groupadd --system --gid 10001 taitotaso \
 && useradd --system --uid 10001 --gid 10001 --home-dir /home/taitotaso --create-home \
      --shell /usr/sbin/nologin taitotaso \
 && mkdir -p /app/var /var/cache/taitotaso/models /var/run/taitotaso/keys \
 && chown -R 10001:10001 /app/var /var/cache/taitotaso /var/run/taitotaso

# The code runs from /app, not from site-packages: services/common/db.py finds the Alembic
# migrations in deploy/migrations beside the source, and the gunicorn configs are in
# deploy/gunicorn. PYTHONPATH also lets the `taitotaso` command import it from here.
# Caches (fontconfig's, for WeasyPrint) and gunicorn's control socket go to /tmp, which
# is writable where the root filesystem is not.
ENV PYTHONPATH=/app \
    TAITOTASO_MODEL_CACHE=/var/cache/taitotaso/models \
    XDG_CACHE_HOME=/tmp/.cache \
    XDG_RUNTIME_DIR=/tmp
WORKDIR /app
EXPOSE 8000

# -- core: the dependencies of every service ----------------------------------------------
# In their own layer so that a change of the source does not download them again: with only
# pyproject.toml (and the README it names) the project installs its dependencies and the
# `taitotaso` command, and no packages of its own. Each target adds its extra on top.
FROM base AS core
COPY pyproject.toml README.md ./
RUN pip install .

# -- source: the code and its compiled translations (copied into every target) ------------
FROM core AS source
WORKDIR /src
COPY assessment ./assessment
COPY item_bank ./item_bank
COPY scoring ./scoring
COPY services ./services
COPY deploy ./deploy
RUN pybabel compile -d services/translations

# -- testing: the test itself, on the site's root --------------------------------------
FROM core AS testing
RUN pip install '.[testing]'
COPY --from=source /src/ /app/
USER 10001:10001
CMD ["gunicorn", "-c", "deploy/gunicorn/testing.py"]

# -- authoring: the item editor; makes listening audio when items are saved -------------
FROM core AS authoring
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      espeak-ng sox libsox-fmt-base \
 && rm -rf /var/lib/apt/lists/*
RUN pip install '.[authoring]'
COPY --from=source /src/ /app/
USER 10001:10001
CMD ["gunicorn", "-c", "deploy/gunicorn/authoring.py"]

# -- results: job seekers, kept results, signed credentials ------------------------------
FROM core AS results
RUN pip install '.[results]'
COPY --from=source /src/ /app/
USER 10001:10001
CMD ["gunicorn", "-c", "deploy/gunicorn/results.py"]

# -- library: Katso, its printable PDFs (WeasyPrint on Pango) ------------------------------
FROM core AS library
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
RUN pip install '.[library]'
COPY --from=source /src/ /app/
USER 10001:10001
CMD ["gunicorn", "-c", "deploy/gunicorn/library.py"]

# -- scoring: the scoring API; torch and the speech recogniser ----------------------------
FROM core AS scoring
# The CPU build of torch first: resolved from PyPI, torch==2.13.0 is a multi-GB CUDA build.
# `pip install '.[scoring]'` below then finds the pin satisfied (2.13.0+cpu matches ==2.13.0).
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
# PyPI's torchaudio is a CUDA build whose compiled extension cannot load beside the CPU
# torch; speechbrain only needs its pure-Python parts: its .so files go (as in the Makefile).
RUN pip install '.[scoring]' \
 && rm -f /usr/local/lib/python3.11/site-packages/torchaudio/lib/*.so
COPY --from=source /src/ /app/
USER 10001:10001
CMD ["gunicorn", "-c", "deploy/gunicorn/scoring.py"]

# -- worker: the scoring image running the RQ worker for queued speech scoring -----------
FROM scoring AS worker
CMD ["taitotaso", "worker"]

# -- migrate: the schema (and the seed, with its listening audio), once per release ------
FROM core AS migrate
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      espeak-ng sox libsox-fmt-base \
 && rm -rf /var/lib/apt/lists/*
COPY --from=source /src/ /app/
USER 10001:10001
CMD ["taitotaso", "db", "upgrade"]
