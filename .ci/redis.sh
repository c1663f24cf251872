#!/usr/bin/env bash
# A real Redis for the distributed tests: the Debian package, on loopback, no persistence.
# Tests find it with $LENDCORPUS_TEST_REDIS (default redis://127.0.0.1:6379/15).
set -euo pipefail
if ! command -v redis-server >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
if redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then
  exit 0
fi
redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save '' --appendonly no \
  --logfile /tmp/lendcorpus-redis.log
for _ in $(seq 50); do
  redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG && exit 0
  sleep 0.1
done
echo "redis-server did not start; see /tmp/lendcorpus-redis.log" >&2
exit 1
