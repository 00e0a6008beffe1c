#!/usr/bin/env bash
# What the benches use beyond Python: wrk, the C load generator bench/throughput.py drives the
# server with (an asyncio Python client would take several CPU ms per request from the cores the
# server shares with it). Installed only when missing and where apt-get can run (root); without
# it the bench falls back to its httpx client and says so.
set -euo pipefail
command -v wrk >/dev/null && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "bench-deps: wrk is missing (install it as root: apt-get install wrk)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends wrk >/dev/null 2>&1 \
  || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends wrk >/dev/null; }
echo "bench-deps: installed wrk"
