# syntax=docker/dockerfile:1
#
# One image for every Sipokat service. The service is chosen by the CMD argument:
#
#   docker build -t sipokat:local .
#   docker run --rm -p 8000:8000 sipokat:local intake
#   docker run --rm sipokat:local verification        # or analytics, notification, identity
#
# The entry point is `python -m sipokat.runtime.serve <service>`, which reads SIPOKAT_HTTP_PORT
# (defaults: intake 8000, verification 8001, analytics 8002, notification 8003).
# The ops CLI is in the image too: `docker compose exec intake sipokat --help`.
#
# Built from the repository's uv.lock (`uv sync --frozen`): the image gets exactly the locked
# versions, without the dev group. Building needs access to PyPI (dependencies and the hatchling
# build backend); the running image needs no network beyond RabbitMQ and MongoDB.

ARG PYTHON_IMAGE=python:3.11-slim
ARG NODE_IMAGE=node:20-bookworm-slim
ARG UV_VERSION=0.13.8

# --- web-apps: the RT head's app (apps/rt) and the verifiers' console (apps/console) -----------
# One npm workspace (apps/), built from its one lock file. The gateway serves the RT app at /app/
# from SIPOKAT_APP_DIR and the console at /console/ from SIPOKAT_CONSOLE_DIR; install scripts are
# not run (the bundler's binary comes as an optional npm dependency).
FROM ${NODE_IMAGE} AS web-apps
WORKDIR /src/apps
COPY apps/package.json apps/package-lock.json ./
COPY apps/rt/package.json rt/
COPY apps/console/package.json console/
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
COPY apps/ ./
RUN cd rt && node build.mjs --quiet && cd ../console && node build.mjs --quiet

# --- manifests: only what dependency resolution needs (pyproject.toml files and uv.lock) --------
# Copying them out of the full context in their own stage keeps the dependency layer below cached
# until a manifest or the lock changes, and picks up new workspace members without editing this file.
FROM ${PYTHON_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
    && find . -name pyproject.toml -not -path './.venv/*' -exec cp --parents '{}' /manifests/ ';' \
    && cp uv.lock /manifests/

# --- builder: the virtual environment at /app/.venv ---------------------------------------------
FROM ${PYTHON_IMAGE} AS builder
ARG UV_VERSION
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
RUN pip install "uv==${UV_VERSION}"
WORKDIR /app

# 1. Third-party dependencies only (cached while manifests and lock are unchanged).
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace

# 2. The workspace itself, installed as regular (non-editable) packages, so the runtime stage
#    needs the virtual environment only, not the source tree.
COPY . .
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable \
    && /app/.venv/bin/python -c "import sipokat.events, sipokat.runtime, sipokat.wilayah, sipokat.intake, sipokat.verification, sipokat.analytics, sipokat.notification, sipokat.identity, sipokat.ops"

# --- runtime -----------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="sipokat" \
      org.opencontainers.image.description="Sipokat services: intake, verification, analytics, notification, identity"

ENV PATH=/app/.venv/bin:${PATH} \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SIPOKAT_DATA_DIR=/var/lib/sipokat \
    SIPOKAT_APP_DIR=/app/rt-app \
    SIPOKAT_CONSOLE_DIR=/app/console

# A fixed, non-root uid/gid; /var/lib/sipokat is the data directory (SQLite files when the SQLite
# backend is used, and whatever a service keeps on disk). A named volume mounted there inherits
# this ownership when it is first created.
RUN groupadd --system --gid 10001 sipokat \
    && useradd --system --uid 10001 --gid sipokat --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin sipokat \
    && mkdir -p /var/lib/sipokat \
    && chown sipokat:sipokat /var/lib/sipokat

COPY --from=builder /app/.venv /app/.venv
COPY --from=web-apps /src/apps/rt/dist /app/rt-app
COPY --from=web-apps /src/apps/console/dist /app/console
WORKDIR /app
USER 10001:10001

EXPOSE 8000 8001 8002 8003 8004
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "sipokat.runtime.serve"]
CMD ["intake"]
