#!/usr/bin/env bash
# Makes sure Debian's headless-capable Chromium (and its driver) is installed, for the dashboard's
# browser tests. Idempotent: does nothing when both are there; refreshes the package lists only
# when apt cannot find the packages in the lists it already has.
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  echo "chromium is installed: $(chromium --version 2>/dev/null || echo unknown version)"
  exit 0
fi
if ! apt-cache show chromium chromium-driver >/dev/null 2>&1; then
  echo "refreshing the package lists"
  as_root apt-get update -qq
fi
echo "installing chromium and chromium-driver (Debian packages)"
DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
  chromium chromium-driver fonts-dejavu-core >/dev/null
chromium --version
