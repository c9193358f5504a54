#!/usr/bin/env bash
# Installs uv (pinned) when missing and syncs the workspace from the lock file.
set -euo pipefail
UV_VERSION=0.13.8
if ! command -v uv >/dev/null 2>&1 || [ "$(uv --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  python3 -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
cd "$(dirname "$0")/.."
uv sync --frozen --quiet
