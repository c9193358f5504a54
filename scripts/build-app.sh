#!/usr/bin/env bash
# Builds Sipokat's web apps: the RT app (apps/rt, issue 23) into apps/rt/dist, which the gateway
# serves at /app/, and the verifiers' console (apps/console, issue 24) into apps/console/dist, at
# /console/. apps/ is one npm workspace: everything comes from the npm registry as pinned in
# apps/package-lock.json, installed once into apps/node_modules; `npm ci` runs again only when
# the lock changed since the last install. Install scripts are not run: the bundler's binary
# comes as an optional npm dependency. Node.js and npm come from Debian where missing.
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
cd "$(dirname "$0")/../apps"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if ! apt-cache show nodejs npm >/dev/null 2>&1; then
    as_root apt-get update -qq
  fi
  echo "installing nodejs and npm (Debian packages)"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    nodejs npm >/dev/null
fi

# A checkout from before the workspace has its own apps/rt/node_modules: esbuild would take the
# RT app's Preact from there and the shared modules' from apps/node_modules, two Preacts in one
# bundle. Only the workspace's install is kept.
rm -rf rt/node_modules

stamp=node_modules/.sipokat-lock.sha256
wanted=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "installing the apps' packages (npm ci in apps/)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
  echo "$wanted" > "$stamp"
fi
(cd rt && node build.mjs --quiet)
(cd console && node build.mjs --quiet)
