#!/usr/bin/env bash
# Headless Chromium and a CJK font for the report tests (tests/analysis): the Debian packages.
# The report draws Chinese platform and practice names with fonts-noto-cjk; the browser test opens
# report.html in Chromium. Nothing is downloaded outside apt.
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
if ((${#need[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
chromium --version 2>/dev/null
