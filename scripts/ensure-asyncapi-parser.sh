#!/usr/bin/env bash
# Installs the official AsyncAPI parser (tests/asyncapi: @asyncapi/parser, pinned by its
# package-lock.json) for the test that validates docs/asyncapi.yaml and the served document.
# Node.js and npm come from Debian where missing. Idempotent: `npm ci` runs again only when the
# lock file changed since the last install. Install scripts are not run: the parser needs none.
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
cd "$(dirname "$0")/../tests/asyncapi"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if ! apt-cache show nodejs npm >/dev/null 2>&1; then
    as_root apt-get update -qq
  fi
  echo "installing nodejs and npm (Debian packages)"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    nodejs npm >/dev/null
fi

stamp=node_modules/.sipokat-lock.sha256
wanted=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "installing the AsyncAPI parser (npm ci in tests/asyncapi)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$wanted" > "$stamp"
fi
