#!/usr/bin/env bash
# Builds the RT app (apps/rt, issue 23) into apps/rt/dist, which the gateway serves at /app/.
# Everything comes from the npm registry as pinned in apps/rt/package-lock.json; `npm ci` runs
# again only when the lock changed since the last install. Install scripts are not run: the
# bundler's binary comes as an optional npm dependency. Node.js and npm come from Debian
# where missing.
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
cd "$(dirname "$0")/../apps/rt"

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
  echo "installing the RT app's packages (npm ci in apps/rt)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
  echo "$wanted" > "$stamp"
fi
node build.mjs --quiet
