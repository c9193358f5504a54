#!/usr/bin/env bash
# Installs uv (pinned) into python3 when missing and syncs the workspace from the lock file.
# Called as `python3 -m uv` everywhere, so no PATH or shim set-up is needed after the install.
set -euo pipefail
UV_VERSION=0.13.8
if [ "$(python3 -m uv --version 2>/dev/null | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  python3 -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
cd "$(dirname "$0")/.."
python3 -m uv sync --frozen --quiet
