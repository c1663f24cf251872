#!/usr/bin/env bash
# System services the tests need, from Debian's packages: a loopback Redis (distributed crawling)
# and headless Chromium with a CJK font (the report's browser test). Idempotent.
set -euo pipefail
here="$(dirname "$0")"
bash "$here/redis.sh"
bash "$here/chromium.sh"
bash "$here/pywb.sh"
