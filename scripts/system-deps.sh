#!/usr/bin/env bash
# Debian packages the test suite needs beyond Python: installed only when missing, and only
# where apt-get can run (root); elsewhere the affected tests say what is missing and skip.
set -euo pipefail
need=()
[ -d /usr/share/fonts/truetype/wqy ] || need+=(fonts-wqy-microhei)
# Debian's Chromium for the admin console's browser tests (tests/web), driven by Playwright.
[ -x /usr/bin/chromium ] || need+=(chromium)
# Node.js and npm build the admin console (make web); most machines already have them.
command -v npm >/dev/null || need+=(nodejs npm)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "system-deps: missing ${need[*]} (install them as root for the CJK OCR and browser tests)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
  || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null; }
echo "system-deps: installed ${need[*]}"
