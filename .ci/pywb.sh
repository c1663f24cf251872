#!/usr/bin/env bash
# pywb (Webrecorder's wayback replay) in a venv of its own: it pins redis 2.x, which the
# crawler's scrapy-redis cannot share. tests/test_pywb_replay.py replays our WARC files with it
# on loopback. Idempotent.
set -euo pipefail
venv="${LENDCORPUS_PYWB_VENV:-$HOME/.cache/lendcorpus/pywb-venv}"
if [ ! -x "$venv/bin/wayback" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "pywb==2.10.0"
fi
